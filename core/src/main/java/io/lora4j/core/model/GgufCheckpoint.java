package io.lora4j.core.model;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufFormatException;
import io.lora4j.core.gguf.GgufMetadata;
import io.lora4j.core.gguf.GgufTensorInfo;
import java.io.IOException;
import java.util.Arrays;
import java.util.Optional;

/**
 * A llama-architecture GGUF as a {@link WeightSource}: Hugging Face names map to GGUF names (REFERENCE.md A.5),
 * quantized tensors are dequantized, and Q/K rows are un-permuted back to Hugging Face order, so a GGUF and the
 * HF checkpoint it came from give identical math.
 */
public final class GgufCheckpoint implements WeightSource {
    private final GgufFile file;
    private final LlamaConfig config;

    private GgufCheckpoint(GgufFile file, LlamaConfig config) {
        this.file = file;
        this.config = config;
    }

    public static GgufCheckpoint of(GgufFile file) throws IOException {
        return new GgufCheckpoint(file, config(file));
    }

    public LlamaConfig config() {
        return config;
    }

    public GgufFile file() {
        return file;
    }

    /** Hyperparameters from llama.* keys, checked the way llama.cpp reads them. */
    public static LlamaConfig config(GgufFile f) throws IOException {
        GgufMetadata m = f.metadata();
        String arch = m.getString("general.architecture");
        if (!arch.equals("llama")) {
            throw new GgufFormatException(f.path() + ": general.architecture is '" + arch + "', lora4j supports 'llama' (LLaMA-1/2/3 and their fine-tunes)");
        }
        if (m.contains("general.type") && !m.getString("general.type").equals("model")) {
            throw new GgufFormatException(f.path() + ": general.type is '" + m.getString("general.type") + "', expected a model (is this a LoRA adapter?)");
        }
        int dim = (int) m.getInteger("llama.embedding_length");
        int heads = (int) m.getInteger("llama.attention.head_count");
        int kvHeads = (int) m.getInteger("llama.attention.head_count_kv", heads);
        int layers = (int) m.getInteger("llama.block_count");
        int ff = (int) m.getInteger("llama.feed_forward_length");
        int headDim = (int) m.getInteger("llama.attention.key_length", dim / Math.max(heads, 1));
        GgufTensorInfo emb = f.tensor("token_embd.weight")
                .orElseThrow(() -> new GgufFormatException(f.path() + ": tensor 'token_embd.weight' is missing"));
        int vocab = (int) m.getInteger("llama.vocab_size", emb.ne()[1]);
        int ctx = (int) m.getInteger("llama.context_length");
        float eps = m.getFloat32("llama.attention.layer_norm_rms_epsilon");
        float theta = m.getFloat32("llama.rope.freq_base", 10000f);
        long ropeDims = m.getInteger("llama.rope.dimension_count", headDim);
        if (ropeDims != headDim) {
            throw new GgufFormatException(f.path() + ": llama.rope.dimension_count is " + ropeDims + ", expected the head dimension " + headDim + " (partial rotary is not llama)");
        }
        if (m.contains("llama.rope.scaling.type") && !m.getString("llama.rope.scaling.type").equals("none")
                && m.getFloat32("llama.rope.scaling.factor", 1f) != 1f) {
            throw new GgufFormatException(f.path() + ": RoPE scaling '" + m.getString("llama.rope.scaling.type") + "' is not supported yet");
        }
        boolean tied = f.tensor("output.weight").isEmpty();
        try {
            return new LlamaConfig(dim, ff, layers, heads, kvHeads, headDim, vocab, ctx, eps, theta, tied);
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(f.path() + ": " + e.getMessage());
        }
    }

    /** HF tensor name → GGUF tensor name (A.5). */
    public static String ggufName(String hf) {
        if (hf.equals("model.embed_tokens.weight")) return "token_embd.weight";
        if (hf.equals("model.norm.weight")) return "output_norm.weight";
        if (hf.equals("lm_head.weight")) return "output.weight";
        String[] p = hf.split("\\.");
        if (p.length >= 5 && p[0].equals("model") && p[1].equals("layers")) {
            String layer = p[2];
            String rest = String.join(".", Arrays.copyOfRange(p, 3, p.length));
            String g = switch (rest) {
                case "input_layernorm.weight" -> "attn_norm.weight";
                case "post_attention_layernorm.weight" -> "ffn_norm.weight";
                default -> {
                    if (p.length == 6 && p[5].equals("weight")) yield Projection.fromHfName(p[4]).ggufName + ".weight";
                    yield null;
                }
            };
            if (g != null) return "blk." + layer + "." + g;
        }
        throw new IllegalArgumentException("no GGUF name for Hugging Face tensor '" + hf + "'");
    }

    @Override
    public float[] read(String hfName, long... shape) throws IOException {
        String name = ggufName(hfName);
        GgufTensorInfo t = file.tensor(name).orElseThrow(() -> new GgufFormatException(file.path() + ": tensor '" + name + "' is missing"));
        long[] expected = shape.clone();
        if (!Arrays.equals(t.shape(), expected)) {
            throw new GgufFormatException(file.path() + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape()) + " (ne "
                    + Arrays.toString(t.ne()) + "), expected " + Arrays.toString(expected));
        }
        float[] v = file.readFloats(t);
        if (hfName.endsWith("q_proj.weight")) return QkPermutation.toHf(v, config.nHeads(), config.dim());
        if (hfName.endsWith("k_proj.weight")) return QkPermutation.toHf(v, config.nKvHeads(), config.dim());
        return v;
    }

    @Override
    public boolean contains(String hfName) {
        return file.tensor(ggufName(hfName)).isPresent();
    }

    @Override
    public String describe() {
        return file.path().toString();
    }

    /** Whether any block weight is stored quantized (merging into such a base loses precision: warn). */
    public Optional<String> quantizedTensorExample() {
        return file.tensors().stream().filter(t -> t.type().isQuantized()).map(t -> t.name() + " (" + t.type() + ")").findFirst();
    }
}
