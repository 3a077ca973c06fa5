package io.lora4j.export;

import io.lora4j.core.model.CausalLmLoss;
import io.lora4j.core.model.LlamaModel;
import java.util.List;

/** Perplexity exp(mean token cross-entropy) of a model over token sequences (with the project's own forward pass). */
public final class Perplexity {
    private Perplexity() {}

    public static double of(LlamaModel model, List<int[]> sequences) {
        return of(model, sequences, null);
    }

    /** Over the positions whose label is not -100 only ({@code labels} null: every token). */
    public static double of(LlamaModel model, List<int[]> sequences, List<int[]> labels) {
        double lossSum = 0;
        long tokens = 0;
        for (int i = 0; i < sequences.size(); i++) {
            int[] s = sequences.get(i);
            if (s.length < 2) continue;
            int[] target = labels == null ? s : labels.get(i);
            CausalLmLoss.Result r = CausalLmLoss.compute(model.logits(new int[][] {s}), new int[][] {target}, false);
            if (r.count() == 0) continue;
            lossSum += r.loss() * r.count();
            tokens += r.count();
        }
        return Math.exp(lossSum / Math.max(tokens, 1));
    }
}
