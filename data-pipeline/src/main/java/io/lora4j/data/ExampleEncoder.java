package io.lora4j.data;

import static io.lora4j.core.model.CausalLmLoss.IGNORE;

import io.lora4j.core.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * Turns a record into token ids and labels: BOS, then each turn's tokens, EOS after every trained (response) turn;
 * labels are -100 on prompt turns (unless train_on_inputs) and on BOS. {@code cutoff_len} truncates from the end of
 * the response, keeping the prompt whole when it fits; a record whose prompt alone does not fit is dropped.
 */
public final class ExampleEncoder {
    public enum Truncation { RESPONSE, DROP }

    /** The encoded example, or why it was not kept. */
    public record Result(int[] inputIds, int[] labels, boolean truncated, String rejectReason) {
        public boolean kept() {
            return rejectReason == null;
        }
    }

    private final Tokenizer tok;
    private final int cutoff;
    private final boolean trainOnInputs;
    private final Truncation truncation;

    public ExampleEncoder(Tokenizer tok, int cutoffLen, boolean trainOnInputs, Truncation truncation) {
        this.tok = tok;
        this.cutoff = cutoffLen;
        this.trainOnInputs = trainOnInputs;
        this.truncation = truncation;
    }

    public Result encode(InstructionRecord r) {
        int[] ids = new int[64], labels = new int[64];
        int n = 0;
        if (tok.bosId() >= 0) {
            ids[n] = tok.bosId();
            labels[n++] = IGNORE;
        }
        StringBuilder text = new StringBuilder();
        int promptEnd = -1;
        boolean anyTrained = false;
        // tokenize the concatenated text turn by turn so the ids equal tokenize(whole text) at every turn boundary
        int[] previous = new int[0];
        for (InstructionRecord.Turn t : r.turns()) {
            text.append(t.text());
            int[] all = tok.encode(text.toString(), false);
            int common = commonPrefix(previous, all);
            if (common < previous.length) { // a turn boundary re-tokenized differently: rewrite from the divergence
                n -= previous.length - common;
            }
            for (int i = common; i < all.length; i++) {
                if (n + 2 >= ids.length) {
                    ids = Arrays.copyOf(ids, ids.length * 2);
                    labels = Arrays.copyOf(labels, labels.length * 2);
                }
                ids[n] = all[i];
                labels[n++] = t.trained() || trainOnInputs ? all[i] : IGNORE;
            }
            previous = all;
            if (t.trained()) {
                anyTrained = true;
                if (t.text().isBlank()) return new Result(null, null, false, "empty response");
                ids[n] = tok.eosId();
                labels[n++] = tok.eosId();
                text.setLength(0); // EOS ends the turn; the next turn starts a fresh text
                previous = new int[0];
            } else if (promptEnd < 0) {
                promptEnd = n;
            }
        }
        if (!anyTrained) return new Result(null, null, false, "no response to train on");
        if (n > cutoff) {
            if (truncation == Truncation.DROP) return new Result(null, null, false, "longer than cutoff_len");
            if (promptEnd >= cutoff) return new Result(null, null, false, "prompt alone exceeds cutoff_len");
            return new Result(Arrays.copyOf(ids, cutoff), Arrays.copyOf(labels, cutoff), true, null);
        }
        return new Result(Arrays.copyOf(ids, n), Arrays.copyOf(labels, n), false, null);
    }

    private static int commonPrefix(int[] a, int[] b) {
        int i = 0;
        while (i < a.length && i < b.length && a[i] == b[i]) i++;
        return i;
    }
}
