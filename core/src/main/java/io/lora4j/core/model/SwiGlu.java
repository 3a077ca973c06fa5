package io.lora4j.core.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The SwiGLU gate of the feed-forward block: a = silu(gate) ⊙ up, silu(z) = z·σ(z). */
public final class SwiGlu {
    private SwiGlu() {}

    public static INDArray forward(INDArray gate, INDArray up) {
        return Transforms.sigmoid(gate, true).muli(gate).muli(up);
    }

    /**
     * Backward of a = z·σ(z)·u: du = da ⊙ z·σ(z); dz = da ⊙ u ⊙ σ(z)·(1 + z·(1 − σ(z))).
     * Returns {dGate, dUp}.
     */
    public static INDArray[] backward(INDArray da, INDArray gate, INDArray up) {
        // three (N, f) arrays where five were: the products are formed in place
        INDArray sig = Transforms.sigmoid(gate, true);
        INDArray dUp = sig.mul(gate).muli(da);                              // da ⊙ silu
        INDArray dGate = sig.rsub(1.0).muli(gate).addi(1.0).muli(sig);     // σ(z)(1 + z(1−σ(z)))
        return new INDArray[] {dGate.muli(up).muli(da), dUp};
    }
}
