package io.lora4j.data;

import java.util.Map;

/** The counts of a prepare run; {@code read == kept + rejected + duplicates} always holds. */
public record PrepareSummary(long read, long kept, long rejected, long duplicates, long truncated, long train, long val, long trainTokens, long valTokens,
                             double meanLength, int maxLength, Map<String, Long> rejectReasons) {
    public String format() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("read %,d = kept %,d + rejected %,d + duplicates %,d%n", read, kept, rejected, duplicates));
        rejectReasons.forEach((k, v) -> b.append(String.format("  rejected %,d: %s%n", v, k)));
        b.append(String.format("train %,d examples (%,d tokens), validation %,d (%,d tokens); truncated %,d; length mean %.1f, max %d%n",
                train, trainTokens, val, valTokens, truncated, meanLength, maxLength));
        return b.toString();
    }
}
