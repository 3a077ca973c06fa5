package io.lora4j.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.safetensors.SafetensorsDType;
import io.lora4j.core.safetensors.ShardedSafetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Hugging Face directory of a LLaMA-family model: {@code config.json} (Llama, Mistral or Qwen2 ForCausalLM) and safetensors weights, single or sharded.
 * Weights are already in Hugging Face row order.
 */
public final class HfCheckpoint implements WeightSource, AutoCloseable {
    private final Path dir;
    private final LlamaConfig config;
    private final ShardedSafetensors weights;

    private HfCheckpoint(Path dir, LlamaConfig config, ShardedSafetensors weights) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
    }

    public static HfCheckpoint open(Path dir) throws IOException {
        LlamaConfig c = readConfig(dir.resolve("config.json"));
        return new HfCheckpoint(dir, c, ShardedSafetensors.open(dir));
    }

    public LlamaConfig config() {
        return config;
    }

    public Path directory() {
        return dir;
    }

    /**
     * config.json → LlamaConfig for model_type llama (LLaMA-1/2/3, Llama-3.1 {@code llama3} RoPE scaling), mistral
     * (sliding window) and qwen2 (q/k/v biases); GQA, rope_theta, rms_norm_eps, tie_word_embeddings, head_dim.
     */
    public static LlamaConfig readConfig(Path file) throws IOException {
        if (!Files.exists(file)) throw new ModelFormatException(file + ": missing (a Hugging Face model directory needs config.json)");
        JsonNode c = new ObjectMapper().readTree(file.toFile());
        String type = c.path("model_type").asText("llama");
        Architecture arch = Architecture.fromHfModelType(type).orElseThrow(() -> new ModelFormatException(file + ": model_type is '" + type
                + "', lora4j supports " + Architecture.supportedHf()));
        int dim = req(c, "hidden_size", file), heads = req(c, "num_attention_heads", file);
        int kv = c.path("num_key_value_heads").asInt(heads);
        int headDim = c.path("head_dim").canConvertToInt() ? c.path("head_dim").asInt() : dim / heads;
        float theta = (float) c.path("rope_theta").asDouble(10000.0);
        try {
            return new LlamaConfig(dim, req(c, "intermediate_size", file), req(c, "num_hidden_layers", file), heads, kv,
                    headDim, req(c, "vocab_size", file), c.path("max_position_embeddings").asInt(2048),
                    (float) c.path("rms_norm_eps").asDouble(1e-6), theta,
                    c.path("tie_word_embeddings").asBoolean(false), arch, biases(c, arch, file), ropeScaling(c, headDim, theta, file),
                    slidingWindow(c, arch, file));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": " + e.getMessage());
        }
    }

    /** Qwen2 always has q/k/v biases; LLaMA has them on q/k/v/o with attention_bias and on the MLP with mlp_bias. */
    private static Set<Projection> biases(JsonNode c, Architecture arch, Path file) {
        Set<Projection> b = EnumSet.noneOf(Projection.class);
        if (arch == Architecture.QWEN2) b.addAll(List.of(Projection.Q, Projection.K, Projection.V));
        if (c.path("attention_bias").asBoolean(false)) b.addAll(List.of(Projection.Q, Projection.K, Projection.V, Projection.O));
        if (c.path("mlp_bias").asBoolean(false)) b.addAll(List.of(Projection.GATE, Projection.UP, Projection.DOWN));
        return b;
    }

    private static RopeScaling ropeScaling(JsonNode c, int headDim, float theta, Path file) throws ModelFormatException {
        JsonNode s = c.path("rope_scaling");
        if (!s.isObject()) return null;
        String type = s.path("rope_type").asText(s.path("type").asText("default"));
        if (type.equals("default")) return null;
        if (!type.equals("llama3")) {
            throw new ModelFormatException(file + ": rope_scaling type '" + type + "' is not supported (lora4j supports 'llama3' and none): " + s);
        }
        for (String k : new String[] {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
            if (!s.path(k).isNumber()) throw new ModelFormatException(file + ": rope_scaling." + k + " is missing or not a number (llama3 scaling needs it)");
        }
        return RopeScaling.llama3((float) s.path("factor").asDouble(), (float) s.path("low_freq_factor").asDouble(),
                (float) s.path("high_freq_factor").asDouble(), s.path("original_max_position_embeddings").asInt(), headDim, theta);
    }

    /** Mistral's sliding_window (null: none); Qwen2's only when use_sliding_window, which lora4j does not implement. */
    private static int slidingWindow(JsonNode c, Architecture arch, Path file) throws ModelFormatException {
        if (arch == Architecture.QWEN2) {
            if (c.path("use_sliding_window").asBoolean(false)) {
                throw new ModelFormatException(file + ": use_sliding_window is true; lora4j does not implement Qwen2's per-layer sliding window");
            }
            return 0;
        }
        JsonNode w = c.path("sliding_window");
        if (w.isMissingNode() || w.isNull()) return 0;
        if (!w.canConvertToInt() || w.asInt() <= 0) throw new ModelFormatException(file + ": sliding_window is " + w + ", expected null or a positive integer");
        return w.asInt();
    }

    private static int req(JsonNode c, String key, Path file) throws ModelFormatException {
        if (!c.path(key).canConvertToInt()) throw new ModelFormatException(file + ": key '" + key + "' is missing or not an integer");
        return c.path(key).asInt();
    }

    /** The config.json transformers needs for this config (LlamaForCausalLM, MistralForCausalLM or Qwen2ForCausalLM). */
    public static ObjectNode configJson(LlamaConfig c, int bos, int eos, String torchDtype) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        Architecture a = c.architecture();
        n.putArray("architectures").add(a.hfClass);
        n.put("model_type", a.hfModelType);
        n.put("hidden_size", c.dim());
        n.put("intermediate_size", c.hiddenDim());
        n.put("num_hidden_layers", c.nLayers());
        n.put("num_attention_heads", c.nHeads());
        n.put("num_key_value_heads", c.nKvHeads());
        n.put("head_dim", c.headDim());
        n.put("vocab_size", c.vocabSize());
        n.put("max_position_embeddings", c.contextLength());
        n.put("rms_norm_eps", c.rmsNormEps());
        n.put("rope_theta", c.ropeTheta());
        n.put("tie_word_embeddings", c.tiedEmbeddings());
        n.put("hidden_act", "silu");
        Set<Projection> qkv = EnumSet.of(Projection.Q, Projection.K, Projection.V);
        if (a == Architecture.QWEN2) {
            if (!c.biases().equals(qkv)) throw new IllegalArgumentException("a qwen2 config.json implies biases on q/k/v exactly, this model has " + c.biases());
            n.put("use_sliding_window", false);
        } else if (a == Architecture.LLAMA) {
            boolean attn = c.hasBias(Projection.Q), mlp = c.hasBias(Projection.GATE);
            Set<Projection> expected = EnumSet.noneOf(Projection.class);
            if (attn) expected.addAll(EnumSet.of(Projection.Q, Projection.K, Projection.V, Projection.O));
            if (mlp) expected.addAll(EnumSet.of(Projection.GATE, Projection.UP, Projection.DOWN));
            if (!c.biases().equals(expected)) throw new IllegalArgumentException("biases on " + c.biases() + " cannot be expressed in a llama config.json");
            n.put("attention_bias", attn);
            n.put("mlp_bias", mlp);
        } else if (!c.biases().isEmpty()) {
            throw new IllegalArgumentException("a " + a.hfModelType + " config.json has no biases, this model has " + c.biases());
        }
        if (a == Architecture.MISTRAL) {
            if (c.slidingWindow() > 0) n.put("sliding_window", c.slidingWindow());
            else n.putNull("sliding_window");
        } else if (c.slidingWindow() > 0) {
            throw new IllegalArgumentException("a sliding window of " + c.slidingWindow() + " needs a mistral config.json, not " + a.hfModelType);
        }
        RopeScaling rs = c.ropeScaling();
        if (rs != null && !rs.hasLlama3Parameters()) {
            // a GGUF keeps only the factors: their llama3 parameters are recovered when the factors determine them
            RopeScaling recovered = RopeScaling.recoverLlama3(rs.freqFactors(), c.headDim(), c.ropeTheta());
            if (recovered == null) {
                throw new IllegalArgumentException("RoPE frequency factors (read from a GGUF) that no llama3 rope_scaling reproduces cannot be written to config.json: "
                        + java.util.Arrays.toString(rs.freqFactors()));
            }
            rs = recovered;
        }
        if (rs != null) {
            ObjectNode r = n.putObject("rope_scaling");
            r.put("factor", rs.factor());
            r.put("low_freq_factor", rs.lowFreqFactor());
            r.put("high_freq_factor", rs.highFreqFactor());
            r.put("original_max_position_embeddings", rs.originalContextLength());
            r.put("rope_type", "llama3");
        }
        if (bos >= 0) n.put("bos_token_id", bos);
        if (eos >= 0) n.put("eos_token_id", eos);
        n.put("torch_dtype", torchDtype);
        return n;
    }

    @Override
    public float[] read(String hfName, long... shape) throws IOException {
        long[] actual = weights.tensor(hfName).shape();
        if (!Arrays.equals(actual, shape)) {
            throw new ModelFormatException(dir + ": tensor '" + hfName + "' has shape " + Arrays.toString(actual) + ", expected " + Arrays.toString(shape));
        }
        return weights.readFloats(hfName);
    }

    /** Only the rows asked for; consecutive rows in one read. */
    @Override
    public float[] readRows(String hfName, long rows, long cols, int[] ids) throws IOException {
        long[] actual = weights.tensor(hfName).shape();
        if (!Arrays.equals(actual, new long[] {rows, cols})) {
            throw new ModelFormatException(dir + ": tensor '" + hfName + "' has shape " + Arrays.toString(actual) + ", expected " + Arrays.toString(new long[] {rows, cols}));
        }
        WeightSource.checkRowIds(hfName, rows, ids);
        int c = Math.toIntExact(cols);
        float[] out = new float[Math.multiplyExact(ids.length, c)];
        WeightSource.forEachRun(ids, null, (first, at, n) ->
                System.arraycopy(weights.readFloats(hfName, (long) first * c, Math.multiplyExact(n, c)), 0, out, at * c, n * c));
        return out;
    }

    /** F16/BF16 tensors as memory-mapped rows (each under 2 GiB); anything else as fp32 values. */
    @Override
    public FrozenWeight readStored(String hfName, long rows, long cols) throws IOException {
        SafetensorsDType dtype = weights.names().contains(hfName) ? weights.dtype(hfName) : null;
        if (dtype != SafetensorsDType.F16 && dtype != SafetensorsDType.BF16) return WeightSource.super.readStored(hfName, rows, cols);
        long[] actual = weights.shape(hfName);
        if (!Arrays.equals(actual, new long[] {rows, cols})) {
            throw new ModelFormatException(dir + ": tensor '" + hfName + "' has shape " + Arrays.toString(actual) + ", expected " + Arrays.toString(new long[] {rows, cols}));
        }
        if (rows * cols * 2 > Integer.MAX_VALUE) return WeightSource.super.readStored(hfName, rows, cols); // one mapping holds under 2 GiB
        return BlockWeight.of(hfName, dtype == SafetensorsDType.F16 ? GgmlType.F16 : GgmlType.BF16, rows, cols, weights.bytes(hfName), null);
    }

    @Override
    public boolean contains(String hfName) {
        return weights.names().contains(hfName);
    }

    @Override
    public Optional<Set<String>> tensorNames() {
        return Optional.of(new TreeSet<>(weights.names()));
    }

    @Override
    public String describe() {
        return dir.toString();
    }

    @Override
    public void close() throws IOException {
        weights.close();
    }
}
