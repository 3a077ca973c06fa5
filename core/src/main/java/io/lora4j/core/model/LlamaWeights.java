package io.lora4j.core.model;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The frozen base weights, in Hugging Face layout (Linear weights are (out, in); Q/K rows in rotate-half order),
 * held as fp32, fp16 or bf16. Norm weights and biases are always fp32.
 *
 * @param tokenEmbedding (V, d)
 * @param layers         per-layer weights
 * @param outputNorm     (d)
 * @param output         (V, d); the same array as {@code tokenEmbedding} when tied
 */
public record LlamaWeights(INDArray tokenEmbedding, List<Layer> layers, INDArray outputNorm, INDArray output) {

    /**
     * @param attnNorm (d)
     * @param proj     the seven projections, each (out, in)
     * @param ffnNorm  (d)
     * @param bias     additive biases (out) of the projections that have one (Qwen2: q, k, v), else empty
     */
    public record Layer(INDArray attnNorm, Map<Projection, INDArray> proj, INDArray ffnNorm, Map<Projection, INDArray> bias) {
        /** A layer without biases. */
        public Layer(INDArray attnNorm, Map<Projection, INDArray> proj, INDArray ffnNorm) {
            this(attnNorm, proj, ffnNorm, Map.of());
        }

        public INDArray w(Projection p) {
            return proj.get(p);
        }

        /** The bias of a projection, or null when it has none. */
        public INDArray b(Projection p) {
            return bias.get(p);
        }

        /** The same layer with other projection weights (merges keep norms and biases). */
        public Layer withProjections(Map<Projection, INDArray> newProj) {
            return new Layer(attnNorm, newProj, ffnNorm, bias);
        }
    }

    public DataType weightType() {
        return tokenEmbedding.dataType();
    }

    /**
     * Reads every tensor of a model from {@code source}, checking shapes against {@code config}; a tensor the source
     * holds but the model would not use is an error (it would otherwise be silently ignored, changing the math).
     */
    public static LlamaWeights load(LlamaConfig c, WeightSource source, DataType weightType) throws IOException {
        Set<String> used = new HashSet<>();
        WeightSource s = recording(source, used);
        INDArray embedding = matrix(s, "model.embed_tokens.weight", c.vocabSize(), c.dim(), weightType);
        List<Layer> layers = new ArrayList<>(c.nLayers());
        for (int l = 0; l < c.nLayers(); l++) {
            String prefix = "model.layers." + l + ".";
            INDArray attnNorm = vector(s, prefix + "input_layernorm.weight", c.dim(), weightType);
            INDArray ffnNorm = vector(s, prefix + "post_attention_layernorm.weight", c.dim(), weightType);
            Map<Projection, INDArray> proj = new EnumMap<>(Projection.class);
            Map<Projection, INDArray> bias = new EnumMap<>(Projection.class);
            for (Projection p : Projection.values()) {
                proj.put(p, matrix(s, p.hfWeightName(l), p.outFeatures(c), p.inFeatures(c), weightType));
                if (c.hasBias(p)) bias.put(p, vector(s, p.hfBiasName(l), p.outFeatures(c), weightType));
            }
            layers.add(new Layer(attnNorm, proj, ffnNorm, bias));
        }
        INDArray outputNorm = vector(s, "model.norm.weight", c.dim(), weightType);
        INDArray output = c.tiedEmbeddings() ? embedding : matrix(s, "lm_head.weight", c.vocabSize(), c.dim(), weightType);
        checkAllUsed(c, source, used, embedding);
        return new LlamaWeights(embedding, layers, outputNorm, output);
    }

    private static void checkAllUsed(LlamaConfig c, WeightSource source, Set<String> used, INDArray embedding) throws IOException {
        if (source.tensorNames().isEmpty()) return;
        Set<String> unused = new TreeSet<>(source.tensorNames().get());
        unused.removeAll(used);
        unused.removeIf(n -> n.endsWith(".rotary_emb.inv_freq")); // a cached buffer older transformers saved; recomputed
        if (c.tiedEmbeddings() && unused.contains("lm_head.weight")) {
            // some tied checkpoints store the output matrix too: fine when it is the embedding
            float[] out = source.read("lm_head.weight", c.vocabSize(), c.dim());
            if (Arrays.equals(out, embedding.castTo(DataType.FLOAT).dup('c').data().asFloat())) unused.remove("lm_head.weight");
        }
        if (!unused.isEmpty()) {
            throw new ModelFormatException(source.describe() + ": tensor '" + unused.iterator().next() + "' is not used by a " + c.architecture().hfModelType
                    + " model with this config (biases on " + c.biases() + ", tied embeddings " + c.tiedEmbeddings() + ")"
                    + (unused.size() > 1 ? "; " + (unused.size() - 1) + " more unused: " + unused.stream().skip(1).limit(5).toList() : "")
                    + ": refusing to ignore weights");
        }
    }

    private static WeightSource recording(WeightSource s, Set<String> used) {
        return new WeightSource() {
            @Override
            public float[] read(String hfName, long... shape) throws IOException {
                used.add(hfName);
                return s.read(hfName, shape);
            }

            @Override
            public boolean contains(String hfName) {
                return s.contains(hfName);
            }

            @Override
            public String describe() {
                return s.describe();
            }
        };
    }

    private static INDArray matrix(WeightSource s, String name, int rows, int cols, DataType type) throws IOException {
        float[] values = s.read(name, rows, cols);
        INDArray a = Nd4j.create(values, new long[] {rows, cols}, 'c');
        return type == DataType.FLOAT ? a : a.castTo(type);
    }

    /** Norm weights and biases stay fp32 (fp64 only for gradient checks). */
    private static INDArray vector(WeightSource s, String name, int n, DataType weightType) throws IOException {
        INDArray v = Nd4j.create(s.read(name, n), new long[] {n}, 'c');
        return weightType == DataType.DOUBLE ? v.castTo(DataType.DOUBLE) : v;
    }
}
