package io.lora4j.core.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Causal-LM cross-entropy as Hugging Face computes it: the logits at position t predict {@code labels[t+1]};
 * positions whose target is {@value #IGNORE} are skipped; the loss is the mean over the remaining positions.
 */
public final class CausalLmLoss {
    public static final int IGNORE = -100;

    private CausalLmLoss() {}

    /**
     * @param loss     mean cross-entropy over counted positions (NaN when nothing is counted)
     * @param count    number of counted positions
     * @param dLogits  gradient of {@code loss} w.r.t. the logits (N, V), or null when not requested
     */
    public record Result(double loss, int count, INDArray dLogits) {}

    /** Logits (B·T, V) and labels (B, T) aligned with the inputs (the shift happens here). */
    public static Result compute(INDArray logits, int[][] labels, boolean withGradient) {
        int B = labels.length, T = labels[0].length, V = (int) logits.size(1);
        int[] target = new int[B * T];
        int count = 0;
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int y = t + 1 < T ? labels[b][t + 1] : IGNORE;
                if (y != IGNORE && (y < 0 || y >= V)) {
                    throw new IllegalArgumentException("label " + y + " at sequence " + b + ", position " + (t + 1) + " is outside the vocabulary [0, " + V + ")");
                }
                target[b * T + t] = y;
                if (y != IGNORE) count++;
            }
        }
        INDArray max = logits.max(true, 1);                                     // (N, 1)
        INDArray shifted = logits.subColumnVector(max);
        INDArray logSumExp = Transforms.log(Transforms.exp(shifted, true).sum(true, 1), false); // (N, 1)
        double total = 0;
        for (int r = 0; r < target.length; r++) {
            if (target[r] != IGNORE) total += logSumExp.getDouble(r, 0) - shifted.getDouble(r, target[r]);
        }
        double loss = count > 0 ? total / count : Double.NaN;
        if (!withGradient) return new Result(loss, count, null);

        // d loss / d logits = (softmax − onehot(target)) / count on counted rows, 0 elsewhere
        INDArray d = Nd4j.createUninitialized(logits.dataType(), logits.shape());
        Nd4j.exec(new SoftMax(logits, d, 1));
        double[] rowScale = new double[target.length];
        for (int r = 0; r < target.length; r++) {
            if (target[r] == IGNORE) continue;
            d.putScalar(r, target[r], d.getDouble(r, target[r]) - 1.0);
            rowScale[r] = 1.0 / count;
        }
        d.muliColumnVector(Nd4j.createFromArray(rowScale).castTo(d.dataType()).reshape(target.length, 1));
        return new Result(loss, count, d);
    }
}
