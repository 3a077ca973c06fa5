package io.lora4j.trainer.data;

import io.lora4j.core.model.CausalLmLoss;
import io.lora4j.core.model.Segments;
import io.lora4j.data.TokenizedExample;

import java.util.List;

/**
 * Examples padded to one length: right padding with {@code padId} in the inputs and -100 in the labels, so padded
 * positions neither attend backwards into real tokens' futures nor count in the loss.
 *
 * @param tokens   (B, T)
 * @param labels   (B, T)
 * @param segments the example lengths of each row when some row holds packed examples (the model then keeps
 *                 them apart); null when every row is one example
 */
public record MicroBatch(int[][] tokens, int[][] labels, int countedTokens, int realTokens, Segments segments) {

    public MicroBatch(int[][] tokens, int[][] labels, int countedTokens, int realTokens) {
        this(tokens, labels, countedTokens, realTokens, null);
    }

    public static MicroBatch of(List<TokenizedExample> examples, int padId, int padToMultiple) {
        int T = 0;
        for (TokenizedExample e : examples) T = Math.max(T, e.inputIds().length);
        if (padToMultiple > 1) T = (T + padToMultiple - 1) / padToMultiple * padToMultiple;
        int[][] tokens = new int[examples.size()][T], labels = new int[examples.size()][T], lengths = new int[examples.size()][];
        int counted = 0, real = 0;
        for (int b = 0; b < examples.size(); b++) {
            TokenizedExample e = examples.get(b);
            java.util.Arrays.fill(tokens[b], padId);
            java.util.Arrays.fill(labels[b], CausalLmLoss.IGNORE);
            System.arraycopy(e.inputIds(), 0, tokens[b], 0, e.inputIds().length);
            System.arraycopy(e.labels(), 0, labels[b], 0, e.labels().length);
            lengths[b] = e.packed() ? e.segments() : new int[] {e.inputIds().length};
            // an example's first position is never a target (the one before it belongs to another example)
            for (int s = 0, at = 0; s < lengths[b].length; at += lengths[b][s++]) labels[b][at] = CausalLmLoss.IGNORE;
            counted += e.countedTokens();
            real += e.inputIds().length;
        }
        return new MicroBatch(tokens, labels, counted, real, Segments.ofRows(lengths));
    }
}
