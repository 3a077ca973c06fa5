package io.lora4j.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.safetensors.ShardedSafetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A Hugging Face LLaMA directory: {@code config.json} (LlamaForCausalLM) and safetensors weights, single or sharded.
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

    /** LLaMA-1/2/3 config.json → LlamaConfig (GQA, rope_theta, rms_norm_eps, tie_word_embeddings, head_dim). */
    public static LlamaConfig readConfig(Path file) throws IOException {
        if (!Files.exists(file)) throw new ModelFormatException(file + ": missing (a Hugging Face model directory needs config.json)");
        JsonNode c = new ObjectMapper().readTree(file.toFile());
        String type = c.path("model_type").asText("llama");
        if (!type.equals("llama")) throw new ModelFormatException(file + ": model_type is '" + type + "', lora4j supports 'llama'");
        JsonNode scaling = c.path("rope_scaling");
        if (scaling.isObject() && !scaling.path("type").asText(scaling.path("rope_type").asText("default")).equals("default")) {
            throw new ModelFormatException(file + ": rope_scaling " + scaling + " is not supported yet");
        }
        int dim = req(c, "hidden_size", file), heads = req(c, "num_attention_heads", file);
        int kv = c.path("num_key_value_heads").asInt(heads);
        try {
            return new LlamaConfig(dim, req(c, "intermediate_size", file), req(c, "num_hidden_layers", file), heads, kv,
                    c.path("head_dim").asInt(dim / heads), req(c, "vocab_size", file), c.path("max_position_embeddings").asInt(2048),
                    (float) c.path("rms_norm_eps").asDouble(1e-6), (float) c.path("rope_theta").asDouble(10000.0),
                    c.path("tie_word_embeddings").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": " + e.getMessage());
        }
    }

    private static int req(JsonNode c, String key, Path file) throws ModelFormatException {
        if (!c.path(key).canConvertToInt()) throw new ModelFormatException(file + ": key '" + key + "' is missing or not an integer");
        return c.path(key).asInt();
    }

    /** The config.json a Hugging Face LlamaForCausalLM needs for this config. */
    public static ObjectNode configJson(LlamaConfig c, int bos, int eos, String torchDtype) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.putArray("architectures").add("LlamaForCausalLM");
        n.put("model_type", "llama");
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
        n.put("attention_bias", false);
        n.put("mlp_bias", false);
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

    @Override
    public boolean contains(String hfName) {
        return weights.names().contains(hfName);
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
