package io.lora4j.trainer.run;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.lora4j.core.config.Check;
import io.lora4j.core.config.ConfigException;
import io.lora4j.core.config.StrictYaml;
import io.lora4j.core.model.Projection;
import io.lora4j.data.PrepareConfig;
import io.lora4j.trainer.TrainConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One YAML file describing a whole run (README has every key), bound once into these records. Unknown keys, wrong
 * types and impossible values fail before anything runs, naming the file, the key path, the value and what is
 * allowed; an absent key takes its default, a present one is used exactly as written. Relative paths in the file
 * are relative to the file's directory; {@code --set a.b=value} overrides any key (its paths are relative to the
 * working directory).
 */
public record RunConfig(
        @JsonProperty("name") String name,
        @JsonProperty("base_model") String baseModel,
        @JsonProperty("tokenizer") String tokenizer,
        @JsonProperty("output_dir") String outputDir,
        @JsonProperty("data") PrepareConfig data,
        @JsonProperty("lora") Lora lora,
        @JsonProperty("train") TrainConfig train,
        @JsonProperty("distributed") Distributed distributed,
        @JsonProperty("export") Export export,
        @JsonProperty("compare") Compare compare,
        @JsonProperty("demo") Demo demo) {

    /** The keys holding local paths or URIs; "*" stands for every element of a list. */
    static final List<String> PATH_KEYS = List.of("base_model", "tokenizer", "output_dir", "data.prepared", "data.chat_template", "data.sources.*.path", "data.sources.*",
            "compare.prompts", "demo.data_dir");

    /** LoRA settings; {@code lora: null} (or no lora section) trains all weights. */
    public record Lora(@JsonProperty("r") Integer r, @JsonProperty("alpha") Double alpha, @JsonProperty("dropout") Double dropout,
                       @JsonProperty("targets") List<String> targets, @JsonProperty("rslora") Boolean rslora) {
        public Lora {
            r = Check.atLeast("lora.r", r, 1, 8);
            alpha = Check.positive("lora.alpha", alpha, 16);
            dropout = Check.range("lora.dropout", dropout, 0, 1, true, 0);
            if (targets != null && targets.isEmpty()) throw Check.bad("lora.targets", "[]", "a non-empty list of projections such as [q_proj, v_proj]");
            targets = targets == null ? List.of("q_proj", "v_proj") : List.copyOf(targets);
            for (String t : targets) {
                try {
                    Projection.fromHfName(t);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException("lora.targets: " + e.getMessage(), e);
                }
            }
            if (rslora == null) rslora = false;
        }
    }

    /** Collective backends of the training gang. */
    public enum Backend {
        TCP, NCCL;

        @JsonValue
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** {@code timeoutSeconds}: how long a gang member waits without progress from a peer before the gang fails. */
    public record Distributed(@JsonProperty("master") String master, @JsonProperty("workers") Integer workers, @JsonProperty("backend") Backend backend,
                              @JsonProperty("max_attempts") Integer maxAttempts, @JsonProperty("timeout_seconds") Integer timeoutSeconds) {
        public Distributed {
            if (master == null) master = "local[*]";
            if (master.isBlank()) throw Check.bad("distributed.master", master, "a Spark master such as local[*] or yarn");
            workers = Check.atLeast("distributed.workers", workers, 1, 1);
            if (backend == null) backend = Backend.TCP;
            maxAttempts = Check.atLeast("distributed.max_attempts", maxAttempts, 1, 3);
            timeoutSeconds = Check.atLeast("distributed.timeout_seconds", timeoutSeconds, 1, 600);
        }
    }

    /** What {@code run} exports after training; the types are checked by the caller that knows them (the export module). */
    /**
     * What {@code run} exports after training; the types are checked by the caller that knows them (the export
     * module). {@code imatrix}: null, {@code data} (an importance matrix computed from the validation split on the
     * merged model, written as export/imatrix.dat) or a llama-imatrix .dat file.
     */
    public record Export(@JsonProperty("types") List<String> types, @JsonProperty("adapter_gguf") Boolean adapterGguf,
                         @JsonProperty("hf") Boolean hf, @JsonProperty("report") Boolean report, @JsonProperty("imatrix") String imatrix) {
        public Export(List<String> types, Boolean adapterGguf, Boolean hf, Boolean report) {
            this(types, adapterGguf, hf, report, null);
        }

        public Export {
            if (imatrix != null && imatrix.isBlank()) throw Check.bad("export.imatrix", imatrix, "data or a llama-imatrix .dat file");
            types = types == null ? List.of() : List.copyOf(types);
            if (adapterGguf == null) adapterGguf = false;
            if (hf == null) hf = false;
            if (report == null) report = false;
        }
    }

    /** Base vs fine-tuned answers to the instructions in {@code prompts} (a JSON array of Alpaca records), printed after training. */
    public record Compare(@JsonProperty("prompts") String prompts, @JsonProperty("max_new_tokens") Integer maxNewTokens) {
        public Compare {
            if (prompts == null || prompts.isBlank()) throw new ConfigException("compare.prompts is required: a JSON array of {instruction, input, output}");
            maxNewTokens = Check.atLeast("compare.max_new_tokens", maxNewTokens, 1, 32);
        }
    }

    /**
     * The embedded demo's bootstrap: before preparing, write the generated data into {@code data_dir} and pretrain
     * {@code base_model} from scratch when it does not exist yet.
     */
    public record Demo(@JsonProperty("data_dir") String dataDir, @JsonProperty("pretrain_steps") Integer pretrainSteps,
                       @JsonProperty("instructions") Integer instructions) {
        public Demo {
            if (dataDir == null || dataDir.isBlank()) throw new ConfigException("demo.data_dir is required");
            pretrainSteps = Check.atLeast("demo.pretrain_steps", pretrainSteps, 1, 800);
            instructions = Check.atLeast("demo.instructions", instructions, 1, 2000);
        }
    }

    /** Without the compare and demo sections. */
    public RunConfig(String name, String baseModel, String tokenizer, String outputDir, PrepareConfig data, Lora lora, TrainConfig train,
                     Distributed distributed, Export export) {
        this(name, baseModel, tokenizer, outputDir, data, lora, train, distributed, export, null, null);
    }

    public RunConfig {
        Check.required("base_model", baseModel);
        if (name == null) name = "run";
        if (name.isBlank()) throw Check.bad("name", name, "a non-empty run name");
        if (outputDir == null) outputDir = "runs/" + name;
        if (data == null) throw new ConfigException("data is required (data.sources to prepare, or data.prepared)");
        if (data.sources().isEmpty() && data.prepared() == null) throw new ConfigException("data: give data.sources (files to prepare) or data.prepared (a dataset)");
        if (train == null) train = new TrainConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null);
        if (distributed == null) distributed = new Distributed(null, null, null, null, null);
        if (export == null) export = new Export(null, null, null, null, null);
    }

    /** Reads a YAML run config, resolves its relative paths against its directory and applies {@code key.path=value} overrides. */
    public static RunConfig load(Path file, List<String> overrides) throws IOException {
        ObjectNode tree = StrictYaml.read(file);
        resolvePaths(tree, file.toAbsolutePath().getParent());
        for (String o : overrides) StrictYaml.set(tree, o);
        return bind(tree, file.toString());
    }

    /** Binds a config tree whose paths are already resolved (a config passed to gang tasks as YAML text). */
    public static RunConfig bind(JsonNode tree, String source) {
        return StrictYaml.bind(tree, RunConfig.class, source);
    }

    public static RunConfig parse(String yaml, String source) {
        return bind(StrictYaml.parse(yaml, source), source);
    }

    static void resolvePaths(ObjectNode tree, Path dir) {
        StrictYaml.resolvePaths(tree, dir, PATH_KEYS);
        // export.imatrix is a file path unless it is the word "data"
        if (tree.get("export") instanceof ObjectNode e && e.path("imatrix").isTextual() && !e.get("imatrix").asText().equals("data")) {
            e.set("imatrix", TextNode.valueOf(StrictYaml.absolute(e.get("imatrix").asText(), dir)));
        }
        JsonNode data = tree.get("data");
        // a template file (an alpaca-lora template JSON) is a path too; template names are not
        if (data instanceof ObjectNode d && d.path("template").isTextual() && d.get("template").asText().endsWith(".json")) {
            d.set("template", TextNode.valueOf(StrictYaml.absolute(d.get("template").asText(), dir)));
        }
    }

    /**
     * The {@code data:} section given only by overrides (`prepare` without a config): {@code --input} files as
     * sources and {@code data.*} keys from {@code --set}.
     */
    public static PrepareConfig dataFromOverrides(List<String> inputs, List<String> overrides) {
        ObjectNode tree = JsonNodeFactory.instance.objectNode();
        ObjectNode data = tree.putObject("data");
        var sources = data.putArray("sources");
        for (String in : inputs) sources.add(in);
        for (String o : overrides) {
            if (!o.startsWith("data.")) throw new ConfigException("--set " + o + ": without --config only data.* keys can be set");
            StrictYaml.set(tree, o);
        }
        return StrictYaml.bind(tree.get("data"), PrepareConfig.class, "--set");
    }

    public RunConfig withData(PrepareConfig d) {
        return new RunConfig(name, baseModel, tokenizer, outputDir, d, lora, train, distributed, export, compare, demo);
    }

    public RunConfig withOutputDir(String dir) {
        return new RunConfig(name, baseModel, tokenizer, dir, data, lora, train, distributed, export, compare, demo);
    }

    /** Keys of {@code train:} that extend or observe a run without changing its trajectory so far: they may change on resume. */
    static final List<String> RESUMABLE_TRAIN_KEYS = List.of("max_steps", "epochs", "eval_every", "save_every", "keep_checkpoints", "sample_prompts",
            "sample_max_tokens", "max_eval_examples");

    /**
     * Canonical JSON of what shapes the training trajectory: base model, tokenizer, data, LoRA and training settings
     * except {@link #RESUMABLE_TRAIN_KEYS}. Recorded in every checkpoint; a resume must match it key by key.
     */
    public String trajectorySettings(String tokenizerFingerprint) {
        Map<String, Object> train = StrictYaml.toMap(this.train);
        RESUMABLE_TRAIN_KEYS.forEach(train::remove);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("base_model", baseModel);
        s.put("tokenizer", tokenizerFingerprint);
        s.put("data", data);
        s.put("lora", lora);
        s.put("train", train);
        return StrictYaml.canonical(s);
    }

    public String toYaml() {
        return StrictYaml.toYaml(this);
    }
}
