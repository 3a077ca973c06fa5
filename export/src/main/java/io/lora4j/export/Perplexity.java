package io.lora4j.export;

import io.lora4j.core.model.CausalLmLoss;
import io.lora4j.core.model.LlamaModel;
import java.util.List;

/** Perplexity exp(mean token cross-entropy) of a model over token sequences (with the project's own forward pass). */
public final class Perplexity {
    private Perplexity() {}

    public static double of(LlamaModel model, List<int[]> sequences) {
        double lossSum = 0;
        long tokens = 0;
        for (int[] s : sequences) {
            if (s.length < 2) continue;
            CausalLmLoss.Result r = CausalLmLoss.compute(model.logits(new int[][] {s}), new int[][] {s}, false);
            lossSum += r.loss() * r.count();
            tokens += r.count();
        }
        return Math.exp(lossSum / Math.max(tokens, 1));
    }
}
