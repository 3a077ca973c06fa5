package io.lora4j.data;

import java.util.Map;

/**
 * The counts of a prepare run; {@code read == kept + rejected + duplicates} always holds. {@code train}/{@code val}
 * are rows written (sequences: with packing several examples share a row); the example counts are beside them.
 */
public record PrepareSummary(long read, long kept, long rejected, long duplicates, long truncated, long trainExamples, long valExamples, long train,
                             long val, long trainTokens, long valTokens, double meanLength, int maxLength, Map<String, Long> rejectReasons) {

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
        row(b, "train examples" + (train != trainExamples ? " (" + train + " packed rows)" : ""), trainExamples, trainTokens);
        row(b, "validation examples" + (val != valExamples ? " (" + val + " packed rows)" : ""), valExamples, valTokens);
        b.append(String.format("example length: mean %.1f, max %d tokens; read = kept + rejected + duplicates%n", meanLength, maxLength));
        return b.toString();
    }

    private static void row(StringBuilder b, String what, Object count, Object tokens) {
        b.append(String.format("| %-40s | %10s | %12s |%n", what, fmt(count), fmt(tokens)));
    }

    private static String fmt(Object o) {
        return o instanceof Long l ? String.format("%,d", l) : o.toString();
    }
}
