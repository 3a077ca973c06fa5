package io.lora4j.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where the examples of packed sequences start and end: {@code lengths[b]} are the lengths of the examples packed,
 * in order, into row b of a (B, T) batch. Tokens after the last example (right padding) form one more segment.
 * A token attends only to earlier tokens of its own segment, and RoPE positions restart at 0 in every segment, so
 * an example's logits in a packed row are its logits alone.
 */
public record Segments(int[][] lengths) {

    /**
     * The segments of a batch, or null when no row holds more than one example: such a batch runs the plain
     * causal path (one shared mask and RoPE table), which gives the same result at no extra cost.
     */
    public static Segments ofRows(int[][] lengths) {
        if (lengths == null) return null;
        for (int[] row : lengths) if (row != null && row.length > 1) return new Segments(lengths);
        return null;
    }

    /** Checks that the rows fit a (B, T) batch. */
    void check(int B, int T) {
        if (lengths.length != B) throw new IllegalArgumentException("segments are given for " + lengths.length + " rows, the batch has " + B);
        for (int b = 0; b < B; b++) {
            int sum = 0;
            for (int n : row(b)) {
                if (n <= 0) throw new IllegalArgumentException("segments of row " + b + ": a length of " + n + " (each example needs a token)");
                sum += n;
            }
            if (sum > T) throw new IllegalArgumentException("segments of row " + b + " add up to " + sum + " tokens, the row has " + T);
        }
    }

    private int[] row(int b) {
        return lengths[b] == null ? new int[0] : lengths[b];
    }

    /** Position ids (B, T): 0, 1, … from the start of each segment (padding counts on from 0 as its own segment). */
    public int[][] positions(int T) {
        int[][] pos = new int[lengths.length][T];
        for (int b = 0; b < lengths.length; b++) {
            int t = 0;
            for (int n : row(b)) for (int i = 0; i < n; i++) pos[b][t++] = i;
            for (int i = 0; t < T; i++) pos[b][t++] = i;
        }
        return pos;
    }

    /**
     * Additive block-diagonal causal mask (B, 1, T, T): 0 where key s is at or before query t in t's segment (and,
     * with a sliding {@code window} W > 0, fewer than W positions back), a huge negative number elsewhere.
     */
    public INDArray mask(int T, int window, DataType type) {
        int B = lengths.length;
        float[] m = new float[B * T * T];
        java.util.Arrays.fill(m, CausalAttention.MASKED);
        for (int b = 0; b < B; b++) {
            int start = 0;
            for (int n : row(b)) {
                open(m, b, T, start, start + n, window);
                start += n;
            }
            open(m, b, T, start, T, window);
        }
        INDArray mask = Nd4j.create(m, new long[] {B, 1, T, T}, 'c');
        return mask.dataType() == type ? mask : mask.castTo(type);
    }

    /** Lets queries in [start, end) see keys from start (or the window's start) up to themselves. */
    private static void open(float[] m, int b, int T, int start, int end, int window) {
        for (int t = start; t < end; t++) {
            int from = window > 0 ? Math.max(start, t - window + 1) : start;
            int row = (b * T + t) * T;
            for (int s = from; s <= t; s++) m[row + s] = 0f;
        }
    }
}
