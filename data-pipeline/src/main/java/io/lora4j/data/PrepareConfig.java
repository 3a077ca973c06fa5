package io.lora4j.data;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * What {@code lora4j prepare} needs: the {@code data:} section of a run config ({@link PrepareConfigYaml} binds it).
 *
 * @param sources       input URIs (files, directories, globs on any Hadoop FileSystem) with their format
 * @param template      alpaca, alpaca_short, chat, or an alpaca-lora template JSON file (ShareGPT always uses chat)
 * @param cutoffLen     maximum tokens per example (and per packed sequence)
 * @param dropLong      drop examples over cutoffLen instead of truncating the response (truncate: drop)
 * @param valSize       validation count (≥ 1, exact) or fraction (&lt; 1)
 * @param trainOnInputs keep the loss on prompt tokens too
 * @param dedup         drop exact duplicates
 * @param seed          split and shuffle seed
 * @param packing       pack several examples into one sequence of at most cutoffLen tokens, masks kept per example
 */
public record PrepareConfig(List<Source> sources, String template, int cutoffLen, boolean dropLong, double valSize, boolean trainOnInputs,
                            boolean dedup, long seed, boolean packing) implements Serializable {

    public static final List<String> FORMATS = List.of("auto", "alpaca", "sharegpt");

    /** One input; {@code fields} renames Alpaca fields (e.g. Dolly: input → context, output → response). */
    public record Source(String uri, String format, Map<String, String> fields) implements Serializable {
        public Source {
            if (uri == null || uri.isBlank()) throw new IllegalArgumentException("data.sources[].path is required");
            if (format == null) format = "auto";
            if (!FORMATS.contains(format)) {
                throw new IllegalArgumentException("data.sources[].format = " + format + ": expected auto, alpaca or sharegpt");
            }
            fields = fields == null ? Map.of() : Map.copyOf(fields);
            for (String k : fields.keySet()) {
                if (!List.of("instruction", "input", "output").contains(k)) {
                    throw new IllegalArgumentException("data.sources[].fields." + k + ": unknown field; expected instruction, input or output");
                }
            }
        }

        String field(String name) {
            return fields.getOrDefault(name, name);
        }
    }

    /** Without packing (the tests' and the benchmark's form; the CLI passes data.packing). */
    public PrepareConfig(List<Source> sources, String template, int cutoffLen, boolean dropLong, double valSize, boolean trainOnInputs, boolean dedup, long seed) {
        this(sources, template, cutoffLen, dropLong, valSize, trainOnInputs, dedup, seed, false);
    }

    public PrepareConfig {
        if (sources == null || sources.isEmpty()) throw new IllegalArgumentException("data.sources is empty: nothing to prepare");
        if (template == null) template = "alpaca";
        if (cutoffLen <= 0) throw new IllegalArgumentException("data.cutoff_len = " + cutoffLen + ": expected > 0");
        if (!(valSize >= 0) || Double.isInfinite(valSize) || (valSize >= 1 && valSize != Math.rint(valSize))) {
            throw new IllegalArgumentException("data.val_size = " + valSize + ": expected a count (a whole number >= 1) or a fraction (0 <= f < 1)");
        }
        sources = List.copyOf(sources);
    }

    /** True when val_size is an exact number of records rather than a fraction. */
    boolean valIsCount() {
        return valSize >= 1;
    }
}
