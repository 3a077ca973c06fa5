package io.lora4j.data;

import io.lora4j.core.model.CausalLmLoss;

/**
 * One training example as the data pipeline writes it: token ids and labels of the same length, labels {@link CausalLmLoss#IGNORE} where
 * the loss is masked (the prompt), and where it came from ("file:line").
 */
public record TokenizedExample(int[] inputIds, int[] labels, String source) {
    public TokenizedExample {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException(source + ": input_ids has " + inputIds.length + " tokens but labels has " + labels.length);
        }
        if (inputIds.length == 0) throw new IllegalArgumentException(source + ": empty example");
    }

    /** Positions that count in the loss after the causal shift (labels[1..] that are not -100). */
    public int countedTokens() {
        int n = 0;
        for (int t = 1; t < labels.length; t++) if (labels[t] != CausalLmLoss.IGNORE) n++;
        return n;
    }
}
