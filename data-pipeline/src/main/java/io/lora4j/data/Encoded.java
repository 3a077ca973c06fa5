package io.lora4j.data;

import java.io.Serializable;

/** One record after templating and tokenization on an executor: kept (ids, labels) or rejected (reason). */
record Encoded(long hash, int[] inputIds, int[] labels, String where, boolean truncated, String reject, String original) implements Serializable {
    boolean kept() {
        return reject == null;
    }
}
