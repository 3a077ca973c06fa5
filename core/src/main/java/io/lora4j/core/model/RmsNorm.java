package io.lora4j.core.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** RMSNorm y = w ⊙ x / sqrt(mean(x²) + ε), row-wise over (N, d). */
public final class RmsNorm {
    private RmsNorm() {}

    private static INDArray like(INDArray w, INDArray x) {
        return w.dataType() == x.dataType() ? w : w.castTo(x.dataType());
    }

    /** Returns rstd (N, 1) = 1/sqrt(mean(x²)+ε); writes nothing else. */
    public static INDArray rstd(INDArray x, float eps) {
        INDArray ms = x.mul(x).mean(true, 1); // (N, 1)
        return Transforms.pow(ms.addi(eps), -0.5, false);
    }

    /** y (N, d) = x ⊙ rstd ⊙ w. */
    public static INDArray forward(INDArray x, INDArray rstd, INDArray w) {
        return x.mulColumnVector(rstd).muliRowVector(like(w, x));
    }

    /**
     * Backward of y = w ⊙ x ⊙ r with r = (mean(x²)+ε)^-½:
     * dx = r ⊙ (w ⊙ dy) − x ⊙ r³ ⊙ mean(x ⊙ w ⊙ dy); dw = Σ_rows dy ⊙ x ⊙ r (only when dw != null, accumulated).
     */
    public static INDArray backward(INDArray dy, INDArray x, INDArray rstd, INDArray w, INDArray dw) {
        INDArray wdy = dy.mulRowVector(like(w, dy));                       // (N, d)
        INDArray dot = wdy.mul(x).mean(true, 1);                  // (N, 1) mean(x·w·dy)
        INDArray r3 = rstd.mul(rstd).muli(rstd);                  // (N, 1)
        INDArray dx = wdy.muliColumnVector(rstd).subi(x.mulColumnVector(r3.muli(dot)));
        if (dw != null) dw.addi(dy.mul(x.mulColumnVector(rstd)).sum(0));
        return dx;
    }
}
