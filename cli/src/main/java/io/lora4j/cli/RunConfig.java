package io.lora4j.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.lora4j.trainer.TrainConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One YAML file describing a whole run (README has every key). Unknown keys and wrong types fail before anything
 * runs, naming the key path; {@code --set a.b=value} overrides any key.
 */
public record RunConfig(
        @JsonProperty("name") String name,
        @JsonProperty("base_model") String baseModel,
        @JsonProperty("tokenizer") String tokenizer,
        @JsonProperty("output_dir") String outputDir,
        @JsonProperty("data") Data data,
        @JsonProperty("lora") Lora lora,
        @JsonProperty("train") TrainConfig train,
        @JsonProperty("distributed") Distributed distributed,
        @JsonProperty("export") Export export,
        @JsonProperty("compare") Compare compare,
        @JsonProperty("demo") Demo demo) {

    /** Where the instruction data comes from and how it becomes training examples. */
    public record Data(
            @JsonProperty("sources") List<Source> sources,
            @JsonProperty("prepared") String prepared,
            @JsonProperty("template") String template,
            @JsonProperty("cutoff_len") int cutoffLen,
            @JsonProperty("truncate") String truncate,
            @JsonProperty("val_size") double valSize,
            @JsonProperty("train_on_inputs") boolean trainOnInputs,
            @JsonProperty("packing") boolean packing,
            @JsonProperty("dedup") Boolean dedup,
            @JsonProperty("seed") long seed) {
        public Data {
            if (template == null) template = "alpaca";
            if (cutoffLen <= 0) cutoffLen = 256;
            if (truncate == null) truncate = "response";
            if (!truncate.equals("response") && !truncate.equals("drop")) throw new IllegalArgumentException("data.truncate = " + truncate + ": expected response or drop");
            if (valSize < 0) throw new IllegalArgumentException("data.val_size = " + valSize + ": expected a count (>= 1) or a fraction (< 1)");
            if (dedup == null) dedup = true;
            if (sources == null) sources = List.of();
        }

        /** The prepare job's view of this section (one place, so prepare and run build the same dataset). */
        public io.lora4j.data.PrepareConfig prepareConfig() {
            List<io.lora4j.data.PrepareConfig.Source> in = new java.util.ArrayList<>();
            for (Source s : sources) in.add(new io.lora4j.data.PrepareConfig.Source(s.path(), s.format(), s.fields()));
            return new io.lora4j.data.PrepareConfig(in, template, cutoffLen, truncate.equals("drop"), valSize, trainOnInputs, dedup, seed, packing);
        }
    }

    /** One input: a file, directory or glob on any Hadoop FileSystem. */
    public record Source(@JsonProperty("path") String path, @JsonProperty("format") String format, @JsonProperty("fields") Map<String, String> fields) {
        public Source {
            if (path == null || path.isBlank()) throw new IllegalArgumentException("data.sources[].path is required");
            if (format == null) format = "auto";
            if (!List.of("auto", "alpaca", "sharegpt").contains(format)) throw new IllegalArgumentException("data.sources[].format = " + format + ": expected auto, alpaca or sharegpt");
        }
    }

    public record Lora(@JsonProperty("r") int r, @JsonProperty("alpha") float alpha, @JsonProperty("dropout") float dropout,
                       @JsonProperty("targets") List<String> targets, @JsonProperty("rslora") boolean rslora) {
        public Lora {
            if (r <= 0) r = 8;
            if (alpha <= 0) alpha = 16;
            if (targets == null || targets.isEmpty()) targets = List.of("q_proj", "v_proj");
            for (String t : targets) io.lora4j.core.model.Projection.fromHfName(t); // names the bad target and the allowed ones
            if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("lora.dropout = " + dropout + ": expected 0 <= dropout < 1");
        }
    }

    /** {@code timeoutSeconds}: how long a gang member waits without progress from a peer before the gang fails. */
    public record Distributed(@JsonProperty("master") String master, @JsonProperty("workers") int workers, @JsonProperty("backend") String backend,
                              @JsonProperty("max_attempts") int maxAttempts, @JsonProperty("timeout_seconds") int timeoutSeconds) {
        public Distributed {
            if (master == null) master = "local[*]";
            if (workers <= 0) workers = 1;
            if (backend == null) backend = "tcp";
            if (!List.of("tcp", "nccl").contains(backend)) throw new IllegalArgumentException("distributed.backend = " + backend + ": expected tcp or nccl");
            if (maxAttempts <= 0) maxAttempts = 3;
            if (timeoutSeconds < 0) throw new IllegalArgumentException("distributed.timeout_seconds = " + timeoutSeconds + ": expected a positive number of seconds");
            if (timeoutSeconds == 0) timeoutSeconds = 600;
        }
    }

    public record Export(@JsonProperty("types") List<String> types, @JsonProperty("adapter_gguf") boolean adapterGguf,
                         @JsonProperty("hf") boolean hf, @JsonProperty("report") boolean report) {
        public Export {
            if (types == null) types = List.of();
        }
    }

    /** Base vs fine-tuned answers to the instructions in {@code prompts} (a JSON array of Alpaca records), printed after training. */
    public record Compare(@JsonProperty("prompts") String prompts, @JsonProperty("max_new_tokens") int maxNewTokens) {
        public Compare {
            if (prompts == null || prompts.isBlank()) throw new IllegalArgumentException("compare.prompts is required: a JSON array of {instruction, input, output}");
            if (maxNewTokens <= 0) maxNewTokens = 32;
        }
    }

    /**
     * The embedded demo's bootstrap: before preparing, write the generated data into {@code data_dir} and pretrain
     * {@code base_model} from scratch when it does not exist yet.
     */
    public record Demo(@JsonProperty("data_dir") String dataDir, @JsonProperty("pretrain_steps") int pretrainSteps,
                       @JsonProperty("instructions") int instructions) {
        public Demo {
            if (dataDir == null || dataDir.isBlank()) throw new IllegalArgumentException("demo.data_dir is required");
            if (pretrainSteps <= 0) pretrainSteps = 800;
            if (instructions <= 0) instructions = 2000;
        }
    }

    /** Without the compare and demo sections. */
    public RunConfig(String name, String baseModel, String tokenizer, String outputDir, Data data, Lora lora, TrainConfig train,
                     Distributed distributed, Export export) {
        this(name, baseModel, tokenizer, outputDir, data, lora, train, distributed, export, null, null);
    }

    public RunConfig {
        if (baseModel == null || baseModel.isBlank()) throw new IllegalArgumentException("base_model is required");
        if (name == null) name = "run";
        if (outputDir == null) outputDir = "runs/" + name;
        if (data == null) throw new IllegalArgumentException("data is required (sources or prepared)");
        if (train == null) throw new IllegalArgumentException("train is required");
        if (distributed == null) distributed = new Distributed(null, 0, null, 0, 0);
        if (export == null) export = new Export(null, false, false, false);
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES); // absent keys take the defaults

    /** Reads a YAML run config and applies {@code key.path=value} overrides. */
    public static RunConfig load(Path file, List<String> overrides) throws IOException {
        JsonNode tree;
        try {
            tree = YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid YAML: " + e.getMessage().split("\n")[0], e);
        }
        if (tree == null || !tree.isObject()) throw new IOException(file + ": expected a YAML mapping at the top level");
        for (String o : overrides) set((ObjectNode) tree, o);
        return bind(tree, file.toString());
    }

    static RunConfig bind(JsonNode tree, String source) throws IOException {
        try {
            return YAML.treeToValue(tree, RunConfig.class);
        } catch (JsonMappingException e) {
            String path = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b).orElse("(top level)");
            Throwable cause = e.getCause() instanceof IllegalArgumentException iae ? iae : null;
            String what = cause != null ? cause.getMessage()
                    : e instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException u
                    ? "unknown key '" + u.getPropertyName() + "'; allowed here: " + u.getKnownPropertyIds()
                    : e.getOriginalMessage().split("\n")[0];
            throw new IOException(source + ": " + path + ": " + what, e);
        }
    }

    /** {@code a.b.c=value}: value parsed as YAML (numbers, booleans, lists), created along the path as needed. */
    static void set(ObjectNode root, String assignment) throws IOException {
        int eq = assignment.indexOf('=');
        if (eq <= 0) throw new IOException("--set " + assignment + ": expected key.path=value");
        String[] keys = assignment.substring(0, eq).split("\\.");
        JsonNode value = YAML.readTree(assignment.substring(eq + 1).isEmpty() ? "''" : assignment.substring(eq + 1));
        ObjectNode node = root;
        for (int i = 0; i < keys.length - 1; i++) {
            JsonNode child = node.get(keys[i]);
            if (child == null || !child.isObject()) child = node.putObject(keys[i]);
            node = (ObjectNode) child;
        }
        node.set(keys[keys.length - 1], value);
    }

    public String toYaml() throws IOException {
        return YAML.writeValueAsString(this);
    }
}
