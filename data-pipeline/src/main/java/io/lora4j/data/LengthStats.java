package io.lora4j.data;

import java.io.Serializable;

/** Counts, token total, maximum and histogram of example lengths; built per partition and merged (Spark aggregate). */
final class LengthStats implements Serializable {
    static final int BUCKET = 16;

    long examples;
    long truncated;
    long tokens;
    int max;
    final long[] histogram;

    LengthStats(int cutoffLen) {
        histogram = new long[cutoffLen / BUCKET + 1];
    }

    LengthStats add(Encoded e) {
        int l = e.inputIds().length;
        examples++;
        tokens += l;
        max = Math.max(max, l);
        if (e.truncated()) truncated++;
        histogram[Math.min(histogram.length - 1, l / BUCKET)]++;
        return this;
    }

    LengthStats merge(LengthStats o) {
        examples += o.examples;
        truncated += o.truncated;
        tokens += o.tokens;
        max = Math.max(max, o.max);
        for (int i = 0; i < histogram.length; i++) histogram[i] += o.histogram[i];
        return this;
    }

    double mean() {
        return examples == 0 ? 0 : (double) tokens / examples;
    }
}
