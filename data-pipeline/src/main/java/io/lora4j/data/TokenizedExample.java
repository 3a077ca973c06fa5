package io.lora4j.data;

import io.lora4j.core.model.CausalLmLoss;

/**
 * One training row as the data pipeline writes it: token ids and labels of the same length, labels {@link CausalLmLoss#IGNORE} where
 * the loss is masked (the prompt), and where it came from ("file:line"). A packed row holds several examples:
 * {@code segments} are their lengths in order (adding up to the row's length); null or one entry: a single example.
 */
public record TokenizedExample(int[] inputIds, int[] labels, String source, int[] segments) {
    public TokenizedExample {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException(source + ": input_ids has " + inputIds.length + " tokens but labels has " + labels.length);
        }
        if (inputIds.length == 0) throw new IllegalArgumentException(source + ": empty example");
        if (segments != null) {
            long sum = 0;
            for (int n : segments) {
                if (n <= 0) throw new IllegalArgumentException(source + ": segments " + java.util.Arrays.toString(segments) + " hold an empty example");
                sum += n;
            }
            if (sum != inputIds.length) {
                throw new IllegalArgumentException(source + ": segments " + java.util.Arrays.toString(segments) + " add up to " + sum + ", the row has "
                        + inputIds.length + " tokens");
            }
        }
    }

    /** One example (not packed). */
    public TokenizedExample(int[] inputIds, int[] labels, String source) {
        this(inputIds, labels, source, null);
    }

    /** True when the row holds more than one example. */
    public boolean packed() {
        return segments != null && segments.length > 1;
    }

    /**
     * The examples of this row, each alone (a row of one example: itself). Sources come from the row's " + "-joined
     * source when it splits into as many parts, else the row's source with "#i".
     */
    public java.util.List<TokenizedExample> examples() {
        if (!packed()) return java.util.List.of(this);
        String[] names = source.split(java.util.regex.Pattern.quote(Packer.JOIN));
        java.util.List<TokenizedExample> out = new java.util.ArrayList<>(segments.length);
        int at = 0;
        for (int i = 0; i < segments.length; at += segments[i++]) {
            String name = names.length == segments.length ? names[i] : source + "#" + i;
            out.add(new TokenizedExample(java.util.Arrays.copyOfRange(inputIds, at, at + segments[i]), java.util.Arrays.copyOfRange(labels, at, at + segments[i]), name));
        }
        return out;
    }

    /**
     * Positions that count in the loss after the causal shift: labels that are not -100, except at the first position
     * of each example (no earlier token of the same example predicts it).
     */
    public int countedTokens() {
        int n = 0;
        for (int t = 1; t < labels.length; t++) if (labels[t] != CausalLmLoss.IGNORE) n++;
        if (packed()) {
            int at = 0;
            for (int s = 0; s < segments.length - 1; s++) {
                at += segments[s];
                if (labels[at] != CausalLmLoss.IGNORE) n--;
            }
        }
        return n;
    }
}
