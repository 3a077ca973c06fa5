package io.lora4j.export.quant;

import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Small random llama GGUFs (F32) whose shapes exercise llama-quantize's type mixing and row-length fallbacks; the
 * fixtures under resources/quant-mixing were made by running llama-quantize on exactly these files. Values come from
 * SplitMix64 bits and exact float operations, so every JVM writes the same bytes.
 */
final class MixingModels {
    /** n_ff 1408 (not a multiple of 256): ffn_down falls back; 8 layers, grouped-query attention (n_gqa 4), untied output. */
    static final Spec FF1408 = new Spec("ff1408", 256, 1408, 8, 8, 2, 320, false);
    /** n_embd 288 (a multiple of 32 only): every K-quant falls back; 6 layers, no GQA, tied embeddings. */
    static final Spec EMBD288 = new Spec("embd288", 288, 768, 6, 6, 6, 256, true);

    record Spec(String name, int embd, int ff, int layers, int heads, int kvHeads, int vocab, boolean tied) {}

    private MixingModels() {}

    static void write(Spec s, Path out) throws IOException {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.string("llama"));
        w.put("general.name", GgufValue.string("lora4j-mixing-" + s.name()));
        w.put("general.file_type", GgufValue.uint32(0));
        w.put("llama.context_length", GgufValue.uint32(128));
        w.put("llama.embedding_length", GgufValue.uint32(s.embd()));
        w.put("llama.block_count", GgufValue.uint32(s.layers()));
        w.put("llama.feed_forward_length", GgufValue.uint32(s.ff()));
        w.put("llama.attention.head_count", GgufValue.uint32(s.heads()));
        w.put("llama.attention.head_count_kv", GgufValue.uint32(s.kvHeads()));
        w.put("llama.rope.dimension_count", GgufValue.uint32(s.embd() / s.heads()));
        w.put("llama.attention.layer_norm_rms_epsilon", GgufValue.float32(1e-5f));
        w.put("llama.vocab_size", GgufValue.uint32(s.vocab()));
        long seed = s.name().hashCode();
        int kv = s.embd() / s.heads() * s.kvHeads();
        w.addTensor("token_embd.weight", new long[] {s.embd(), s.vocab()}, values(seed++, s.embd() * s.vocab()));
        w.addTensor("output_norm.weight", new long[] {s.embd()}, ones(s.embd()));
        if (!s.tied()) w.addTensor("output.weight", new long[] {s.embd(), s.vocab()}, values(seed++, s.embd() * s.vocab()));
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            w.addTensor(p + "attn_norm.weight", new long[] {s.embd()}, ones(s.embd()));
            w.addTensor(p + "attn_q.weight", new long[] {s.embd(), s.embd()}, values(seed++, s.embd() * s.embd()));
            w.addTensor(p + "attn_k.weight", new long[] {s.embd(), kv}, values(seed++, s.embd() * kv));
            w.addTensor(p + "attn_v.weight", new long[] {s.embd(), kv}, values(seed++, s.embd() * kv));
            w.addTensor(p + "attn_output.weight", new long[] {s.embd(), s.embd()}, values(seed++, s.embd() * s.embd()));
            w.addTensor(p + "ffn_norm.weight", new long[] {s.embd()}, ones(s.embd()));
            w.addTensor(p + "ffn_gate.weight", new long[] {s.embd(), s.ff()}, values(seed++, s.embd() * s.ff()));
            w.addTensor(p + "ffn_up.weight", new long[] {s.embd(), s.ff()}, values(seed++, s.embd() * s.ff()));
            w.addTensor(p + "ffn_down.weight", new long[] {s.ff(), s.embd()}, values(seed++, s.ff() * s.embd()));
        }
        w.write(out);
    }

    private static float[] ones(int n) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, 1f);
        return x;
    }

    /** Uniform in [−1/32, 1/32) with 24 random bits, one value in 256 eight times larger. */
    private static float[] values(long seed, int n) {
        long s = seed * 0x9E3779B97F4A7C15L;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            long z = (s += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            float u = ((int) (z >>> 40) - (1 << 23)) * 0x1p-28f;
            x[i] = (z & 0xFF) == 0 ? 8 * u : u;
        }
        return x;
    }
}
