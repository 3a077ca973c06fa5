package io.lora4j.export;

import io.lora4j.core.model.CausalLmLoss;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.WeightSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The built-in merge verification in logit space: logits of a few prompts through the merged model (fp32) and through
 * the written (dequantized) file, and how far the adapter moves them from the base at all. Whether the file kept the
 * fine-tune is decided in weight space, against the quantized base, by {@link WeightCarryCheck}; these numbers are the
 * report (max |Δ logit|, top-1 agreement).
 */
public final class MergeCheck {
    private MergeCheck() {}

    public record Result(double maxAbsDiff, double top1Agreement, double adapterEffect) {
        /**
         * A non-empty adapter that the written model's logits do not follow. Too strict at low bits, where quantization
         * moves logits more than a small adapter does: the exporter decides with {@link WeightCarryCheck} instead.
         */
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

    /** The check (null without prompts) and the written model's perplexity over the evaluation sequences (NaN without). */
    public record Scored(Result check, double perplexity) {}

    /**
     * {@link #compare} and {@link Perplexity} over weight sources read one tensor at a time: the fp32 merge, the
     * written file and the base. One pass over each; the written file's pass also scores {@code eval}.
     *
     * @param labels null (every token scored) or one label array per eval sequence, -100 where not scored
     */
    public static Scored layerwise(LlamaConfig c, WeightSource merged, WeightSource written, WeightSource base, int[][] prompts, List<int[]> eval,
                                   List<int[]> labels) throws IOException {
        List<int[]> ps = Arrays.asList(prompts);
        List<INDArray> ref = new ArrayList<>();
        double[] effect = {0};
        if (!ps.isEmpty()) {
            List<INDArray> hRef = LayerwiseForward.hidden(c, merged, ps);
            LayerwiseForward.logits(c, merged, hRef, (i, l) -> ref.add(l));
            List<INDArray> hBase = LayerwiseForward.hidden(c, base, ps);
            LayerwiseForward.logits(c, base, hBase, (i, l) -> effect[0] = Math.max(effect[0], ref.get(i).sub(l).amaxNumber().doubleValue()));
        }
        List<int[]> all = new ArrayList<>(ps);
        all.addAll(eval);
        double[] acc = {0, 0, 0}; // max |Δ|, agreeing rows, rows
        double[] ppl = {0, 0}; // loss sum, tokens
        List<INDArray> hWritten = LayerwiseForward.hidden(c, written, all);
        LayerwiseForward.logits(c, written, hWritten, (i, l) -> {
            if (i < ps.size()) {
                INDArray a = ref.get(i);
                acc[0] = Math.max(acc[0], a.sub(l).amaxNumber().doubleValue());
                INDArray am = a.argMax(1), bm = l.argMax(1);
                for (int r = 0; r < am.length(); r++) if (am.getLong(r) == bm.getLong(r)) acc[1]++;
                acc[2] += am.length();
                return;
            }
            int e = i - ps.size();
            if (eval.get(e).length < 2) return;
            CausalLmLoss.Result r = CausalLmLoss.compute(l, new int[][] {labels == null ? eval.get(e) : labels.get(e)}, false);
            if (r.count() == 0) return;
            ppl[0] += r.loss() * r.count();
            ppl[1] += r.count();
        });
        Result check = ps.isEmpty() ? null : new Result(acc[0], acc[1] / Math.max(acc[2], 1), effect[0]);
        return new Scored(check, eval.isEmpty() ? Double.NaN : Math.exp(ppl[0] / Math.max(ppl[1], 1)));
    }
}
