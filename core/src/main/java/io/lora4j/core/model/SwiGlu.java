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
        INDArray sig = Transforms.sigmoid(gate, true);
        INDArray silu = sig.mul(gate);
        INDArray dUp = da.mul(silu);
        INDArray dsilu = sig.rsub(1.0).muli(gate).addi(1.0).muli(sig); // σ(z)(1 + z(1−σ(z)))
        INDArray dGate = da.mul(up).muli(dsilu);
        return new INDArray[] {dGate, dUp};
    }
}
