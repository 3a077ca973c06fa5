package io.lora4j.core.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Karpathy's llama2.c checkpoint (the legacy version-0 {@code .bin}: 7 int32 header, then fp32 weights).
 *
 * <p>Layout after the header: token embedding (V,d); then per kind over all layers: rms_att (L,d), wq (L,H·hd,d),
 * wk (L,Hkv·hd,d), wv, wo (L,d,H·hd), rms_ffn (L,d), w1 (L,f,d), w2 (L,d,f), w3 (L,f,d); rms_final (d);
 * two RoPE tables (T,hd/2) that we skip; the classifier (V,d) only when the header's vocab size is negative.
 * Q/K rows are in Meta's interleaved order, so they are permuted to Hugging Face order on load.
 */
public final class Llama2cCheckpoint implements WeightSource {
    private static final int HEADER_BYTES = 7 * 4;

    private final Path path;
    private final LlamaConfig config;
    private final Map<String, float[]> tensors = new HashMap<>();

    private Llama2cCheckpoint(Path path, LlamaConfig config) {
        this.path = path;
        this.config = config;
    }

    public LlamaConfig config() {
        return config;
    }

    public static Llama2cCheckpoint open(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES) {
                throw new ModelFormatException(path + ": " + size + " bytes, expected at least the 28-byte llama2.c header");
            }
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(header, 0);
            header.flip();
            int dim = header.getInt(), hidden = header.getInt(), layers = header.getInt(), heads = header.getInt();
            int kvHeads = header.getInt(), vocab = header.getInt(), seqLen = header.getInt();
            boolean shared = vocab > 0;
            vocab = Math.abs(vocab);
            if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab == 0 || seqLen <= 0
                    || dim % heads != 0 || dim > 1 << 16 || hidden > 1 << 18 || layers > 1024 || vocab > 1 << 22 || seqLen > 1 << 22) {
                throw new ModelFormatException(path + ": llama2.c header at offset 0 has implausible values dim=" + dim
                        + " hidden_dim=" + hidden + " n_layers=" + layers + " n_heads=" + heads + " n_kv_heads=" + kvHeads
                        + " vocab_size=" + vocab + " seq_len=" + seqLen + " (is this a llama2.c version-0 checkpoint?)");
            }
            LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, kvHeads, dim / heads, vocab, seqLen, 1e-5f, 10000f, shared);
            long floats = expectedFloats(c, seqLen, shared);
            long expected = HEADER_BYTES + 4 * floats;
            if (size != expected) {
                throw new ModelFormatException(path + ": file is " + size + " bytes, but the header (dim=" + dim + ", layers="
                        + layers + ", vocab=" + vocab + ", shared classifier=" + shared + ") requires exactly " + expected + " bytes");
            }
            Llama2cCheckpoint ckpt = new Llama2cCheckpoint(path, c);
            FloatBuffer data = ch.map(FileChannel.MapMode.READ_ONLY, HEADER_BYTES, 4 * floats).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            ckpt.split(data, seqLen, shared);
            return ckpt;
        }
    }

    private static long expectedFloats(LlamaConfig c, int seqLen, boolean shared) {
        long d = c.dim(), L = c.nLayers();
        long perLayer = 2 * d + 2 * (long) c.qDim() * d + 2 * (long) c.kvDim() * d + 3L * c.hiddenDim() * d;
        long total = (long) c.vocabSize() * d + L * perLayer + d + (long) seqLen * c.headDim();
        return shared ? total : total + (long) c.vocabSize() * d;
    }

    private void split(FloatBuffer data, int seqLen, boolean shared) {
        LlamaConfig c = config;
        int d = c.dim(), L = c.nLayers();
        tensors.put("model.embed_tokens.weight", take(data, (long) c.vocabSize() * d));
        perLayer(data, "input_layernorm.weight", d);
        perLayer(data, "self_attn.q_proj.weight", c.qDim() * d);
        perLayer(data, "self_attn.k_proj.weight", c.kvDim() * d);
        perLayer(data, "self_attn.v_proj.weight", c.kvDim() * d);
        perLayer(data, "self_attn.o_proj.weight", d * c.qDim());
        perLayer(data, "post_attention_layernorm.weight", d);
        perLayer(data, "mlp.gate_proj.weight", c.hiddenDim() * d);
        perLayer(data, "mlp.down_proj.weight", d * c.hiddenDim());
        perLayer(data, "mlp.up_proj.weight", c.hiddenDim() * d);
        tensors.put("model.norm.weight", take(data, d));
        data.position(data.position() + seqLen * c.headDim()); // freq_cis_real + freq_cis_imag
        if (!shared) tensors.put("lm_head.weight", take(data, (long) c.vocabSize() * d));
        for (int l = 0; l < L; l++) {
            String q = "model.layers." + l + ".self_attn.q_proj.weight", k = "model.layers." + l + ".self_attn.k_proj.weight";
            tensors.put(q, QkPermutation.toHf(tensors.get(q), c.nHeads(), d));
            tensors.put(k, QkPermutation.toHf(tensors.get(k), c.nKvHeads(), d));
        }
    }

    private void perLayer(FloatBuffer data, String suffix, int n) {
        for (int l = 0; l < config.nLayers(); l++) {
            tensors.put("model.layers." + l + "." + suffix, take(data, n));
        }
    }

    private static float[] take(FloatBuffer data, long n) {
        float[] out = new float[Math.toIntExact(n)];
        data.get(out);
        return out;
    }

    @Override
    public float[] read(String hfName, long... shape) throws IOException {
        float[] t = tensors.get(hfName);
        if (t == null) throw new ModelFormatException(path + ": no tensor " + hfName);
        long n = 1;
        for (long s : shape) n *= s;
        if (n != t.length) throw new ModelFormatException(path + ": tensor " + hfName + " has " + t.length + " values, expected " + n);
        return t;
    }

    @Override
    public boolean contains(String hfName) {
        return tensors.containsKey(hfName);
    }

    @Override
    public String describe() {
        return path.toString();
    }
}
