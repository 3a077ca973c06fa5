package io.lora4j.data;

import java.io.Serializable;

/**
 * One record after templating and tokenization on an executor: kept (ids, labels) or rejected (reason). A packed row
 * has {@code segments}, the lengths of its examples in order; null: one example.
 */
record Encoded(long hash, int[] inputIds, int[] labels, String where, boolean truncated, String reject, String original, int[] segments)
        implements Serializable {
    Encoded(long hash, int[] inputIds, int[] labels, String where, boolean truncated, String reject, String original) {
        this(hash, inputIds, labels, where, truncated, reject, original, null);
    }

    /** The example lengths of this row as written to the dataset: {length} for a single example. */
    int[] segmentLengths() {
        return segments != null ? segments : new int[] {inputIds.length};
    }
    static Encoded rejected(String where, String reason, String original) {
        return new Encoded(0, null, null, where, false, reason, original);
    }

    boolean kept() {
        return reject == null;
    }
}
