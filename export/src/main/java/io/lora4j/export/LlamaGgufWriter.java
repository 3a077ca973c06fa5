package io.lora4j.export;

import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.gguf.GgufWriter;
import io.lora4j.core.model.GgufCheckpoint;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.QkPermutation;
import io.lora4j.core.tokenizer.TokenizerModel;
import io.lora4j.export.quant.ImportanceMatrix;
import io.lora4j.export.quant.LayerCounts;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.export.quant.Quantizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
        GgufWriter g = new GgufWriter();
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

        boolean permute = c.architecture().ggufPermutesQk();
        List<Named> tensors = new ArrayList<>();
        tensors.add(new Named("token_embd.weight", w.tokenEmbedding(), 0));
        tensors.add(new Named("output_norm.weight", w.outputNorm(), 0));
        if (!c.tiedEmbeddings()) tensors.add(new Named("output.weight", w.output(), 0));
        for (int l = 0; l < c.nLayers(); l++) {
            LlamaWeights.Layer layer = w.layers().get(l);
            List<Named> blk = new ArrayList<>();
            blk.add(new Named("blk." + l + ".attn_norm.weight", layer.attnNorm(), 0));
            blk.add(new Named("blk." + l + ".ffn_norm.weight", layer.ffnNorm(), 0));
            for (Projection p : Projection.values()) {
                int permuteHeads = !permute ? 0 : p == Projection.Q ? c.nHeads() : p == Projection.K ? c.nKvHeads() : 0;
                blk.add(new Named(p.ggufWeightName(l), layer.w(p), permuteHeads));
                if (layer.b(p) != null) blk.add(new Named("blk." + l + "." + p.ggufName + ".bias", layer.b(p), permuteHeads));
            }
            blk.sort(java.util.Comparator.comparing(Named::name)); // llama-quantize's order within a layer
            tensors.addAll(blk);
        }
        tensors.subList(0, c.tiedEmbeddings() ? 2 : 3).sort(java.util.Comparator.comparing(Named::name));
        if (c.ropeScaling() != null) { // Llama-3.1 scaling: llama.cpp reads per-frequency divisors from this tensor
            tensors.add(0, new Named(GgufCheckpoint.ROPE_FREQS, Nd4j.createFromArray(c.ropeScaling().freqFactors()), 0));
        }
        LayerCounts counters = LayerCounts.of(tensors.stream().map(Named::name).toList(), c.nLayers(), c.nHeads(), c.nKvHeads()).withImatrix(imatrix != null);
        for (Named t : tensors) {
            long[] shape = t.values.shape();
            long[] ne = shape.length == 1 ? new long[] {shape[0]} : new long[] {shape[1], shape[0]};
            GgmlType type = preset.typeFor(t.name, ne, counters);
            GgmlType target = type == null ? GgmlType.F32 : type;
            float[] qw = imatrix == null || type == null ? null : imatrix.forTensor(t.name, ne);
            g.addTensor(t.name, ne, target, () -> {
                float[] v = t.values.castTo(DataType.FLOAT).dup('c').data().asFloat();
                if (t.permuteHeads > 0) v = QkPermutation.toGguf(v, t.permuteHeads, shape.length == 1 ? 1 : (int) ne[0]);
                return Quantizers.quantize(v, (int) (v.length / ne[0]), (int) ne[0], target, threads, qw);
            });
        }
        g.write(out);
    }

    private record Named(String name, INDArray values, int permuteHeads) {}

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
