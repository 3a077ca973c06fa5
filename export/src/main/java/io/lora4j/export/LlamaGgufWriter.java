package io.lora4j.export;

import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.gguf.GgufWriter;
import io.lora4j.core.model.GgufCheckpoint;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.QkPermutation;
import io.lora4j.core.model.WeightSource;
import io.lora4j.core.tokenizer.TokenizerModel;
import io.lora4j.export.quant.ImportanceMatrix;
import io.lora4j.export.quant.LayerCounts;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.export.quant.Quantizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a llama- or qwen2-architecture GGUF that llama.cpp loads: every {@code <arch>.*} key typed as llama.cpp
 * reads it (REFERENCE.md A.7), the full tokenizer metadata, tensors in llama-quantize's order (llama: Q/K rows and
 * biases permuted to GGUF order; qwen2: NeoX order, unpermuted), {@code rope_freqs.weight} for Llama-3.1 RoPE scaling,
 * matrices quantized by the preset's rules. Tensor data is produced one tensor at a time while writing.
 */
public final class LlamaGgufWriter {
    private LlamaGgufWriter() {}

    public static void write(Path out, String name, LlamaConfig c, LlamaWeights w, TokenizerModel tok, QuantPreset preset, int threads) throws IOException {
        write(out, name, c, w, tok, preset, threads, null, null);
    }

    /** As above, quantizing with an importance matrix as llama-quantize --imatrix does ({@code imatrix} null: none). */
    public static void write(Path out, String name, LlamaConfig c, LlamaWeights w, TokenizerModel tok, QuantPreset preset, int threads,
                             ImportanceMatrix imatrix, String imatrixName) throws IOException {
        write(out, name, c, ModelSource.inMemory(c, w), tok, preset, threads, imatrix, imatrixName);
    }

    /**
     * Streams the model from {@code w}: the header is built from the config alone, and each tensor is read, permuted and
     * quantized only when the writer reaches it, so at most one tensor (plus its quantized bytes) is in memory.
     */
    public static void write(Path out, String name, LlamaConfig c, WeightSource w, TokenizerModel tok, QuantPreset preset, int threads,
                             ImportanceMatrix imatrix, String imatrixName) throws IOException {
        GgufWriter g = new GgufWriter();
        putMetadata(g, name, c, tok, preset, imatrix, imatrixName);
        for (Planned t : plan(c, preset, imatrix)) {
            if (t.isMatrix()) {
                g.addTensorStream(t.name, t.ne, t.type, ch -> t.writeQuantized(w, threads, WeightSource.PART_VALUES, ch));
            } else {
                g.addTensor(t.name, t.ne, t.type, () -> Quantizers.quantize(t.values(w, c), t.rows(), t.rowLen(), t.type, threads, t.importance));
            }
        }
        g.write(out);
    }

    /**
     * One tensor of the file: its GGUF name, the Hugging Face tensor it comes from (null: rope_freqs from the config),
     * ggml shape, target type, Q/K heads to permute (0: none) and importance weights (null: none).
     */
    record Planned(String name, String hfName, long[] ne, GgmlType type, int permuteHeads, float[] importance) {
        int rowLen() {
            return (int) ne[0];
        }

        int rows() {
            return ne.length == 1 ? 1 : (int) ne[1];
        }

        long[] shape() {
            return ne.length == 1 ? new long[] {ne[0]} : new long[] {ne[1], ne[0]};
        }

        /** The tensor's fp32 values in GGUF row order. */
        float[] values(WeightSource w, LlamaConfig c) throws IOException {
            if (hfName == null) return c.ropeScaling().freqFactors().clone();
            return toGgufOrder(w.read(hfName, shape()));
        }

        /** A weight matrix of the model (not a norm, a bias or rope_freqs): these are streamed in parts. */
        boolean isMatrix() {
            return hfName != null && ne.length == 2;
        }

        /**
         * Rows per part of about {@code maxValues} values; for permuted Q/K a whole number of heads, so the GGUF rows
         * of a part are the Hugging Face rows of the same part, reordered within each head.
         */
        int partRows(long maxValues) {
            int unit = permuteHeads > 0 ? rows() / permuteHeads : 1;
            long n = Math.max(1, maxValues / rowLen()) / unit * unit;
            return (int) Math.min(rows(), Math.max(unit, n));
        }

        /** GGUF rows [from, to) of the matrix as fp32 (from and to on part boundaries, see {@link #partRows}). */
        float[] ggufRows(WeightSource w, int from, int to) throws IOException {
            return partToGguf(w.readRows(hfName, rows(), rowLen(), WeightSource.rowRange(from, to)), to - from);
        }

        /** Rows of a part, Hugging Face order → GGUF order. */
        float[] partToGguf(float[] v, int nRows) {
            return permuteHeads > 0 ? QkPermutation.toGguf(v, nRows / (rows() / permuteHeads), rowLen()) : v;
        }

        /** Rows of a part, GGUF order → Hugging Face order. */
        float[] partToHf(float[] v, int nRows) {
            return permuteHeads > 0 ? QkPermutation.toHf(v, nRows / (rows() / permuteHeads), rowLen()) : v;
        }

        /**
         * The matrix quantized a part at a time and written to {@code ch}: ggml quantizes every row on its own (with
         * per-column importance weights), so the bytes are those of the whole matrix quantized at once.
         */
        void writeQuantized(WeightSource w, int threads, long partValues, java.nio.channels.WritableByteChannel ch) throws IOException {
            int part = partRows(partValues);
            for (int r0 = 0; r0 < rows(); r0 += part) {
                int r1 = Math.min(rows(), r0 + part);
                java.nio.ByteBuffer q = Quantizers.quantize(ggufRows(w, r0, r1), r1 - r0, rowLen(), type, threads, importance);
                while (q.hasRemaining()) ch.write(q);
            }
        }

        /** Hugging Face rows → GGUF rows (Q/K of llama only; a bias is permuted like a one-column matrix). */
        float[] toGgufOrder(float[] v) {
            return permuteHeads > 0 ? QkPermutation.toGguf(v, permuteHeads, ne.length == 1 ? 1 : (int) ne[0]) : v;
        }

        /** GGUF rows → Hugging Face rows, the inverse of {@link #toGgufOrder}. */
        float[] toHfOrder(float[] v) {
            return permuteHeads > 0 ? QkPermutation.toHf(v, permuteHeads, ne.length == 1 ? 1 : (int) ne[0]) : v;
        }
    }

    /** The file's tensors in llama-quantize's order with the preset's type for each. */
    static List<Planned> plan(LlamaConfig c, QuantPreset preset, ImportanceMatrix imatrix) {
        boolean permute = c.architecture().ggufPermutesQk();
        List<Named> tensors = new ArrayList<>();
        tensors.add(new Named("token_embd.weight", "model.embed_tokens.weight", new long[] {c.dim(), c.vocabSize()}, 0));
        tensors.add(new Named("output_norm.weight", "model.norm.weight", new long[] {c.dim()}, 0));
        if (!c.tiedEmbeddings()) tensors.add(new Named("output.weight", "lm_head.weight", new long[] {c.dim(), c.vocabSize()}, 0));
        for (int l = 0; l < c.nLayers(); l++) {
            List<Named> blk = new ArrayList<>();
            String prefix = "model.layers." + l + ".";
            blk.add(new Named("blk." + l + ".attn_norm.weight", prefix + "input_layernorm.weight", new long[] {c.dim()}, 0));
            blk.add(new Named("blk." + l + ".ffn_norm.weight", prefix + "post_attention_layernorm.weight", new long[] {c.dim()}, 0));
            for (Projection p : Projection.values()) {
                int permuteHeads = !permute ? 0 : p == Projection.Q ? c.nHeads() : p == Projection.K ? c.nKvHeads() : 0;
                blk.add(new Named(p.ggufWeightName(l), p.hfWeightName(l), new long[] {p.inFeatures(c), p.outFeatures(c)}, permuteHeads));
                if (c.hasBias(p)) blk.add(new Named("blk." + l + "." + p.ggufName + ".bias", p.hfBiasName(l), new long[] {p.outFeatures(c)}, permuteHeads));
            }
            blk.sort(java.util.Comparator.comparing(Named::name)); // llama-quantize's order within a layer
            tensors.addAll(blk);
        }
        tensors.subList(0, c.tiedEmbeddings() ? 2 : 3).sort(java.util.Comparator.comparing(Named::name));
        if (c.ropeScaling() != null) { // Llama-3.1 scaling: llama.cpp reads per-frequency divisors from this tensor
            tensors.add(0, new Named(GgufCheckpoint.ROPE_FREQS, null, new long[] {c.ropeScaling().freqFactors().length}, 0));
        }
        LayerCounts counters = LayerCounts.of(tensors.stream().map(Named::name).toList(), c.nLayers(), c.nHeads(), c.nKvHeads()).withImatrix(imatrix != null);
        List<Planned> planned = new ArrayList<>();
        for (Named t : tensors) {
            GgmlType type = preset.typeFor(t.name, t.ne, counters);
            float[] qw = imatrix == null || type == null ? null : imatrix.forTensor(t.name, t.ne);
            planned.add(new Planned(t.name, t.hfName, t.ne, type == null ? GgmlType.F32 : type, t.permuteHeads, qw));
        }
        return planned;
    }

    private record Named(String name, String hfName, long[] ne, int permuteHeads) {}

    private static void putMetadata(GgufWriter g, String name, LlamaConfig c, TokenizerModel tok, QuantPreset preset, ImportanceMatrix imatrix,
                                    String imatrixName) {
        String arch = c.architecture().ggufArch; // qwen2 keeps its own keys; llama and mistral are llama
        String k = arch + ".";
        g.put("general.architecture", GgufValue.string(arch));
        g.put("general.type", GgufValue.string("model"));
        g.put("general.name", GgufValue.string(name));
        g.put("general.quantization_version", GgufValue.uint32(2));
        g.put("general.file_type", GgufValue.uint32(preset.ftype));
        if (imatrix != null) imatrix.putMetadata(g, imatrixName);
        g.put(k + "context_length", GgufValue.uint32(c.contextLength()));
        g.put(k + "embedding_length", GgufValue.uint32(c.dim()));
        g.put(k + "block_count", GgufValue.uint32(c.nLayers()));
        g.put(k + "feed_forward_length", GgufValue.uint32(c.hiddenDim()));
        g.put(k + "attention.head_count", GgufValue.uint32(c.nHeads()));
        g.put(k + "attention.head_count_kv", GgufValue.uint32(c.nKvHeads()));
        g.put(k + "rope.dimension_count", GgufValue.uint32(c.headDim()));
        g.put(k + "rope.freq_base", GgufValue.float32(c.ropeTheta()));
        g.put(k + "attention.layer_norm_rms_epsilon", GgufValue.float32(c.rmsNormEps()));
        g.put(k + "vocab_size", GgufValue.uint32(c.vocabSize()));
        if (c.headDim() * c.nHeads() != c.dim()) {
            g.put(k + "attention.key_length", GgufValue.uint32(c.headDim()));
            g.put(k + "attention.value_length", GgufValue.uint32(c.headDim()));
        }
        if (c.slidingWindow() > 0 && c.slidingWindow() < c.contextLength()) {
            // llama.cpp's llama architecture has no sliding window: the file would attend further than the model was trained to
            throw new IllegalArgumentException("sliding_window " + c.slidingWindow() + " < context " + c.contextLength() + " cannot be expressed in a llama GGUF");
        }
        putTokenizer(g, tok, c.vocabSize());
    }

    /** tokenizer.ggml.* from the model's vocabulary; ids at or beyond the vocabulary are padded with [PADn] (UNUSED). */
    static void putTokenizer(GgufWriter g, TokenizerModel t, int vocab) {
        if (t.size() > vocab) throw new IllegalArgumentException("tokenizer has " + t.size() + " tokens but the model only " + vocab + " embedding rows");
        String[] tokens = java.util.Arrays.copyOf(t.tokens(), vocab);
        float[] scores = java.util.Arrays.copyOf(t.scores(), vocab);
        int[] types = java.util.Arrays.copyOf(t.tokenTypes(), vocab);
        for (int i = t.size(); i < vocab; i++) {
            tokens[i] = "[PAD" + i + "]";
            scores[i] = -1000f;
            types[i] = TokenizerModel.UNUSED;
        }
        boolean spm = t.kind() == TokenizerModel.Kind.SPM;
        g.put("tokenizer.ggml.model", GgufValue.string(spm ? "llama" : "gpt2"));
        g.put("tokenizer.ggml.pre", GgufValue.string(t.preTokenizer()));
        g.put("tokenizer.ggml.tokens", GgufValue.stringArray(tokens));
        g.put("tokenizer.ggml.scores", GgufValue.float32Array(scores));
        g.put("tokenizer.ggml.token_type", GgufValue.int32Array(types));
        if (!spm) g.put("tokenizer.ggml.merges", GgufValue.stringArray(t.merges()));
        if (t.bosId() >= 0) g.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(t.bosId()));
        if (t.eosId() >= 0) g.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(t.eosId()));
        if (t.unkId() >= 0) g.put("tokenizer.ggml.unknown_token_id", GgufValue.uint32(t.unkId()));
        if (t.padId() >= 0) g.put("tokenizer.ggml.padding_token_id", GgufValue.uint32(t.padId()));
        g.put("tokenizer.ggml.add_bos_token", GgufValue.bool(t.addBos()));
        g.put("tokenizer.ggml.add_eos_token", GgufValue.bool(t.addEos()));
        if (spm) g.put("tokenizer.ggml.add_space_prefix", GgufValue.bool(t.addSpacePrefix()));
        t.chatTemplate().ifPresent(ct -> g.put("tokenizer.chat_template", GgufValue.string(ct)));
    }
}
