package io.lora4j.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import io.lora4j.core.config.Check;
import io.lora4j.core.config.ConfigException;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code data:} section of a run config, bound once (strictly, see {@code StrictYaml}) and used by every
 * command that builds a dataset: {@code prepare}, {@code train} and {@code run} all go through {@link Datasets}.
 * Absent keys take the defaults below; a present key is used exactly as written or refused.
 *
 * @param sources       input URIs (files, directories, globs on any Hadoop FileSystem) with their format
 * @param prepared      a dataset directory written by {@code lora4j prepare}, used instead of {@code sources}
 * @param template      alpaca (default), alpaca_short, chat, or an alpaca-lora template JSON file
 * @param cutoffLen     maximum tokens per example (and per packed sequence), default 256
 * @param truncate      response (default): cut the end of the response; drop: drop the example
 * @param valSize       validation count (≥ 1, a whole number) or fraction (&lt; 1), default 0
 * @param trainOnInputs keep the loss on prompt tokens too (default false)
 * @param packing       pack several examples into one sequence of at most cutoffLen tokens (default false)
 * @param dedup         drop exact duplicates (default true)
 * @param seed          split and shuffle seed (default 0)
 */
public record PrepareConfig(
        @JsonProperty("sources") List<Source> sources,
        @JsonProperty("prepared") String prepared,
        @JsonProperty("template") String template,
        @JsonProperty("cutoff_len") Integer cutoffLen,
        @JsonProperty("truncate") Truncate truncate,
        @JsonProperty("val_size") Double valSize,
        @JsonProperty("train_on_inputs") Boolean trainOnInputs,
        @JsonProperty("packing") Boolean packing,
        @JsonProperty("dedup") Boolean dedup,
        @JsonProperty("seed") Long seed) implements Serializable {

    /** How an input file is read. */
    public enum Format {
        AUTO, ALPACA, SHAREGPT;

        @JsonValue
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Format parse(String s) {
            for (Format f : values()) if (f.key().equals(s)) return f;
            throw Check.bad("data.sources[].format", s, "one of " + Check.names(Format.class));
        }
    }

    /** What happens to an example longer than cutoff_len. */
    public enum Truncate {
        RESPONSE, DROP;

        @JsonValue
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One input; {@code fields} renames Alpaca fields (e.g. Dolly: input → context, output → response). */
    public record Source(@JsonProperty("path") String uri, @JsonProperty("format") Format format,
                         @JsonProperty("fields") Map<String, String> fields) implements Serializable {
        static final List<String> FIELD_NAMES = List.of("instruction", "input", "output");

        @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
        public Source {
            Check.required("data.sources[].path", uri);
            if (format == null) format = Format.AUTO;
            fields = fields == null ? Map.of() : Map.copyOf(fields);
            for (String k : fields.keySet()) {
                if (!FIELD_NAMES.contains(k)) throw new ConfigException("data.sources[].fields." + k + ": unknown field; expected one of " + FIELD_NAMES);
            }
        }

        /** A source written as a plain path: {@code sources: [data.json]}. */
        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        public static Source of(String path) {
            return new Source(path, Format.AUTO, null);
        }

        public Source(String uri, String format, Map<String, String> fields) {
            this(uri, format == null ? null : Format.parse(format), fields);
        }

        String field(String name) {
            return fields.getOrDefault(name, name);
        }
    }

    /** The tests' and the benchmark's form (format strings, primitives). */
    public PrepareConfig(List<Source> sources, String template, int cutoffLen, boolean dropLong, double valSize, boolean trainOnInputs, boolean dedup,
                         long seed, boolean packing) {
        this(sources, null, template, cutoffLen, dropLong ? Truncate.DROP : Truncate.RESPONSE, valSize, trainOnInputs, packing, dedup, seed);
    }

    public PrepareConfig(List<Source> sources, String template, int cutoffLen, boolean dropLong, double valSize, boolean trainOnInputs, boolean dedup, long seed) {
        this(sources, template, cutoffLen, dropLong, valSize, trainOnInputs, dedup, seed, false);
    }

    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    public PrepareConfig {
        sources = sources == null ? List.of() : List.copyOf(sources);
        if (prepared != null && prepared.isBlank()) throw Check.bad("data.prepared", prepared, "a dataset directory written by `lora4j prepare`");
        if (prepared != null && !sources.isEmpty()) {
            throw new ConfigException("data: give either sources (to prepare) or prepared (a prepared dataset), not both");
        }
        if (template == null) template = "alpaca";
        cutoffLen = Check.atLeast("data.cutoff_len", cutoffLen, 1, 256);
        if (truncate == null) truncate = Truncate.RESPONSE;
        double v = Check.nonNegative("data.val_size", valSize, 0);
        if (v >= 1 && v != Math.rint(v)) throw Check.bad("data.val_size", v, "a count (a whole number >= 1) or a fraction (0 <= f < 1)");
        valSize = v;
        if (trainOnInputs == null) trainOnInputs = false;
        if (packing == null) packing = false;
        if (dedup == null) dedup = true;
        if (seed == null) seed = 0L;
    }

    /** Fails unless there is something to prepare. */
    public PrepareConfig requireSources() {
        if (sources.isEmpty()) throw new ConfigException("data.sources is empty: nothing to prepare (give data.sources, or --input)");
        return this;
    }

    /** The same settings reading other inputs. */
    public PrepareConfig withSources(List<Source> in) {
        return new PrepareConfig(in, null, template, cutoffLen, truncate, valSize, trainOnInputs, packing, dedup, seed);
    }

    /** The same settings reading an already prepared dataset. */
    public PrepareConfig withPrepared(String dataset) {
        return new PrepareConfig(List.of(), dataset, template, cutoffLen, truncate, valSize, trainOnInputs, packing, dedup, seed);
    }

    @JsonIgnore
    public boolean dropLong() {
        return truncate == Truncate.DROP;
    }

    /** True when val_size is an exact number of records rather than a fraction. */
    @JsonIgnore
    boolean valIsCount() {
        return valSize >= 1;
    }
}
