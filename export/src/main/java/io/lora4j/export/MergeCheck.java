package io.lora4j.export;

import io.lora4j.core.model.LlamaModel;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The built-in merge verification: logits of a few prompts through the unmerged adapter and through the written
 * (dequantized) merged file. Catches the classic "merged model behaves like the base model".
 */
public final class MergeCheck {
    private MergeCheck() {}

    public record Result(double maxAbsDiff, double top1Agreement, double adapterEffect) {
        /** A non-empty adapter that changes nothing, or an export that lost it. */
        public boolean lostTheAdapter() {
            return adapterEffect > 1e-3 && maxAbsDiff > 0.5 * adapterEffect;
        }
    }

    /** @param base the base model without adapter, to measure how much the adapter changes the logits at all */
    public static Result compare(LlamaModel unmerged, LlamaModel written, LlamaModel base, int[][] prompts) {
        double max = 0, effect = 0;
        int agree = 0, rows = 0;
        for (int[] p : prompts) {
            INDArray a = unmerged.logits(new int[][] {p}), b = written.logits(new int[][] {p}), c = base.logits(new int[][] {p});
            max = Math.max(max, a.sub(b).amaxNumber().doubleValue());
            effect = Math.max(effect, a.sub(c).amaxNumber().doubleValue());
            INDArray am = a.argMax(1), bm = b.argMax(1);
            for (int i = 0; i < am.length(); i++) if (am.getLong(i) == bm.getLong(i)) agree++;
            rows += (int) am.length();
        }
        return new Result(max, (double) agree / Math.max(rows, 1), effect);
    }
}
