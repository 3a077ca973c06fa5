package io.lora4j.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import io.lora4j.core.config.Check;
import io.lora4j.core.config.ConfigException;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
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
 * @param template      alpaca (default), alpaca_short, chat, or an alpaca-lora template JSON file; chat renders with the
 *                      model's own chat template (the Vicuna layout when the model has none)
 * @param cutoffLen     maximum tokens per example (and per packed sequence), default 256
 * @param truncate      response (default): cut the end of the response; drop: drop the example
 * @param valSize       validation count (≥ 1, a whole number) or fraction (&lt; 1), default 0
 * @param trainOnInputs keep the loss on prompt tokens too (default false)
 * @param packing       pack several examples into one sequence of at most cutoffLen tokens (default false)
 * @param dedup         drop exact duplicates (default true)
 * @param seed          split and shuffle seed (default 0)
 * @param chatTemplate  a Jinja chat template file used instead of the model's (needs template: chat)
 * @param templateVars  further variables for the chat template (e.g. Llama-3's date_string), default none
 * @param parseSpecialTokens let special-token text typed in a record ("&lt;|eot_id|&gt;") become that token with
 *                      the model's chat template (default false: such a record is rejected)
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
        @JsonProperty("seed") Long seed,
        @JsonProperty("chat_template") @JsonInclude(JsonInclude.Include.NON_NULL) String chatTemplate,
        @JsonProperty("template_vars") @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Object> templateVars,
        @JsonProperty("parse_special_tokens") @JsonInclude(JsonInclude.Include.NON_DEFAULT) Boolean parseSpecialTokens) implements Serializable {
    // the chat keys are left out of the canonical form while unset, so datasets prepared before they existed stay up to date

    /** Every value data.template may take besides a template file. */
    static final String CHAT = "chat";

    /**
     * How an input file is read: auto (by the keys of each record), alpaca (instruction/input/output), sharegpt
     * ({@code conversations: [{from, value}]}) or openai ({@code messages: [{role, content, tool_calls}]}).
     */
    public enum Format {
        AUTO, ALPACA, SHAREGPT, OPENAI;

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

    /**
     * One input; {@code fields} renames record keys (e.g. Dolly: input → context, output → response); {@code roles}
     * maps a conversation's speaker names to roles (e.g. {@code {bot: assistant}}), on top of the usual spellings.
     */
    public record Source(@JsonProperty("path") String uri, @JsonProperty("format") Format format,
                         @JsonProperty("fields") Map<String, String> fields,
                         @JsonProperty("roles") @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> roles) implements Serializable {
        static final List<String> FIELD_NAMES = List.of("instruction", "input", "output", "conversations", "messages", "system", "tools");
        /** What a speaker may map to: a chat role, or function_call (an assistant turn calling a tool: LLaMA-Factory's ShareGPT). */
        static final List<String> ROLE_NAMES = List.of("system", "user", "assistant", "tool", "function_call");

        @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
        public Source {
            Check.required("data.sources[].path", uri);
            if (format == null) format = Format.AUTO;
            fields = fields == null ? Map.of() : Map.copyOf(fields);
            for (String k : fields.keySet()) {
                if (!FIELD_NAMES.contains(k)) throw new ConfigException("data.sources[].fields." + k + ": unknown field; expected one of " + FIELD_NAMES);
            }
            roles = roles == null ? Map.of() : Map.copyOf(roles);
            for (Map.Entry<String, String> e : roles.entrySet()) {
                if (!ROLE_NAMES.contains(e.getValue())) throw Check.bad("data.sources[].roles." + e.getKey(), e.getValue(), "one of " + ROLE_NAMES);
            }
        }

        public Source(String uri, Format format, Map<String, String> fields) {
            this(uri, format, fields, null);
        }

        /** A source written as a plain path: {@code sources: [data.json]}. */
        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        public static Source of(String path) {
            return new Source(path, Format.AUTO, null, null);
        }

        public Source(String uri, String format, Map<String, String> fields) {
            this(uri, format == null ? null : Format.parse(format), fields, null);
        }

        public Source(String uri, String format, Map<String, String> fields, Map<String, String> roles) {
            this(uri, format == null ? null : Format.parse(format), fields, roles);
        }

        String field(String name) {
            return fields.getOrDefault(name, name);
        }
    }

    /** The tests' and the benchmark's form (format strings, primitives). */
    public PrepareConfig(List<Source> sources, String template, int cutoffLen, boolean dropLong, double valSize, boolean trainOnInputs, boolean dedup,
                         long seed, boolean packing) {
        this(sources, null, template, cutoffLen, dropLong ? Truncate.DROP : Truncate.RESPONSE, valSize, trainOnInputs, packing, dedup, seed, null, null,
                null);
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
        if (chatTemplate != null && chatTemplate.isBlank()) throw Check.bad("data.chat_template", chatTemplate, "a Jinja chat template file");
        if (chatTemplate != null && !template.equals(CHAT)) {
            throw new ConfigException("data.chat_template is set but data.template is '" + template + "': a chat template needs data.template: chat");
        }
        templateVars = templateVars == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(templateVars));
        for (String k : templateVars.keySet()) {
            if (List.of("messages", "tools", "add_generation_prompt").contains(k)) {
                throw new ConfigException("data.template_vars." + k + ": set by lora4j for every record; give another name");
            }
        }
        if (parseSpecialTokens == null) parseSpecialTokens = false;
    }

    /** The settings with a different template (and chat template file). */
    public PrepareConfig withTemplate(String name, String chatTemplateFile) {
        return new PrepareConfig(sources, prepared, name, cutoffLen, truncate, valSize, trainOnInputs, packing, dedup, seed, chatTemplateFile, templateVars,
                parseSpecialTokens);
    }

    /** Fails unless there is something to prepare. */
    public PrepareConfig requireSources() {
        if (sources.isEmpty()) throw new ConfigException("data.sources is empty: nothing to prepare (give data.sources, or --input)");
        return this;
    }

    /** The same settings reading other inputs. */
    public PrepareConfig withSources(List<Source> in) {
        return new PrepareConfig(in, null, template, cutoffLen, truncate, valSize, trainOnInputs, packing, dedup, seed, chatTemplate, templateVars,
                parseSpecialTokens);
    }

    /** The same settings reading an already prepared dataset. */
    public PrepareConfig withPrepared(String dataset) {
        return new PrepareConfig(List.of(), dataset, template, cutoffLen, truncate, valSize, trainOnInputs, packing, dedup, seed, chatTemplate, templateVars,
                parseSpecialTokens);
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
