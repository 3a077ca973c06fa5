package io.lora4j.data;

import java.util.Map;

/**
 * The counts of a prepare run; {@code read == kept + rejected + duplicates} always holds. {@code train}/{@code val}
 * are rows written (sequences: with packing several examples share a row); the example counts are beside them.
 * {@code cutoffLen} and {@code packed} say how the rows were made (for the packing line of the table).
 */
public record PrepareSummary(long read, long kept, long rejected, long duplicates, long truncated, long trainExamples, long valExamples, long train,
                             long val, long trainTokens, long valTokens, double meanLength, int maxLength, Map<String, Long> rejectReasons,
                             int cutoffLen, boolean packed) {

    /** The summary table printed at the end of {@code lora4j prepare}. */
    public String format() {
        StringBuilder b = new StringBuilder();
        row(b, "stage", "records", "tokens");
        b.append(String.format("|---|--:|--:|%n"));
        row(b, "read", read, "");
        row(b, "rejected", rejected, "");
        rejectReasons.forEach((k, v) -> row(b, "  " + k, v, ""));
        row(b, "duplicates", duplicates, "");
        row(b, "kept", kept, trainTokens + valTokens);
        row(b, "  truncated to cutoff_len", truncated, "");
        row(b, "train examples", trainExamples, trainTokens);
        if (packed) row(b, "  packed into train sequences", train, "");
        row(b, "validation examples", valExamples, valTokens);
        if (packed) row(b, "  packed into validation sequences", val, "");
        b.append(String.format("example length: mean %.1f, max %d tokens (cutoff_len %d); read = kept + rejected + duplicates%n", meanLength, maxLength,
                cutoffLen));
        if (packed && train + val > 0) {
            b.append(String.format("packing: %,d examples in %,d sequences, %.2f examples and %.1f tokens per sequence, %.0f%% of cutoff_len filled%n",
                    trainExamples + valExamples, train + val, (double) (trainExamples + valExamples) / (train + val),
                    (double) (trainTokens + valTokens) / (train + val), 100.0 * (trainTokens + valTokens) / ((double) (train + val) * cutoffLen)));
        }
        return b.toString();
    }

    private static void row(StringBuilder b, String what, Object count, Object tokens) {
        b.append(String.format("| %-40s | %10s | %12s |%n", what, fmt(count), fmt(tokens)));
    }

    private static String fmt(Object o) {
        return o instanceof Long l ? String.format("%,d", l) : o.toString();
    }
}
