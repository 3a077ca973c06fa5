package io.lora4j.data;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * What {@code lora4j prepare} needs (the {@code data:} section of a run config, bound by the CLI).
 *
 * @param sources       input URIs (files, directories, globs on any Hadoop FileSystem) with their format
 * @param template      alpaca, alpaca_short or an alpaca-lora template JSON file (ShareGPT uses the chat template)
 * @param cutoffLen     maximum tokens per example
 * @param dropLong      drop examples over cutoffLen instead of truncating the response
 * @param valSize       validation count (≥ 1) or fraction (&lt; 1)
 * @param trainOnInputs keep the loss on prompt tokens too
 * @param dedup         drop exact duplicates
 * @param seed          split and shuffle seed
 */
public record PrepareConfig(List<Source> sources, String template, int cutoffLen, boolean dropLong, double valSize, boolean trainOnInputs,
                            boolean dedup, long seed) implements Serializable {

    /** One input; {@code fields} renames Alpaca fields (e.g. Dolly: input → context, output → response). */
    public record Source(String uri, String format, Map<String, String> fields) implements Serializable {
        public Source {
            if (format == null) format = "auto";
            if (!List.of("auto", "alpaca", "sharegpt").contains(format)) {
                throw new IllegalArgumentException("data.sources[].format = " + format + ": expected auto, alpaca or sharegpt");
            }
            fields = fields == null ? Map.of() : Map.copyOf(fields);
        }

        String field(String name) {
            return fields.getOrDefault(name, name);
        }
    }

    public PrepareConfig {
        if (sources == null || sources.isEmpty()) throw new IllegalArgumentException("data.sources is empty: nothing to prepare");
        if (cutoffLen <= 0) throw new IllegalArgumentException("data.cutoff_len = " + cutoffLen + ": expected > 0");
        if (valSize < 0) throw new IllegalArgumentException("data.val_size = " + valSize + ": expected a count or a fraction");
        sources = List.copyOf(sources);
    }
}
