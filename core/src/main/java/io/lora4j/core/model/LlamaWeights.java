package io.lora4j.core.model;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The frozen base weights, in Hugging Face layout (Linear weights are (out, in); Q/K rows in rotate-half order),
 * held as fp32, fp16 or bf16. Norm weights are always fp32.
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
     */
    public record Layer(INDArray attnNorm, Map<Projection, INDArray> proj, INDArray ffnNorm) {
        public INDArray w(Projection p) {
            return proj.get(p);
        }
    }

    public DataType weightType() {
        return tokenEmbedding.dataType();
    }

    /** Reads every tensor of a LLaMA model from {@code source}, checking shapes against {@code config}. */
    public static LlamaWeights load(LlamaConfig c, WeightSource source, DataType weightType) throws IOException {
        INDArray embedding = matrix(source, "model.embed_tokens.weight", c.vocabSize(), c.dim(), weightType);
        List<Layer> layers = new ArrayList<>(c.nLayers());
        for (int l = 0; l < c.nLayers(); l++) {
            String prefix = "model.layers." + l + ".";
            INDArray attnNorm = vector(source, prefix + "input_layernorm.weight", c.dim(), weightType);
            INDArray ffnNorm = vector(source, prefix + "post_attention_layernorm.weight", c.dim(), weightType);
            Map<Projection, INDArray> proj = new EnumMap<>(Projection.class);
            for (Projection p : Projection.values()) {
                proj.put(p, matrix(source, p.hfWeightName(l), p.outFeatures(c), p.inFeatures(c), weightType));
            }
            layers.add(new Layer(attnNorm, proj, ffnNorm));
        }
        INDArray outputNorm = vector(source, "model.norm.weight", c.dim(), weightType);
        INDArray output = c.tiedEmbeddings() ? embedding : matrix(source, "lm_head.weight", c.vocabSize(), c.dim(), weightType);
        return new LlamaWeights(embedding, layers, outputNorm, output);
    }

    private static INDArray matrix(WeightSource s, String name, int rows, int cols, DataType type) throws IOException {
        float[] values = s.read(name, rows, cols);
        INDArray a = Nd4j.create(values, new long[] {rows, cols}, 'c');
        return type == DataType.FLOAT ? a : a.castTo(type);
    }

    /** Norm weights stay fp32 (fp64 only for gradient checks). */
    private static INDArray vector(WeightSource s, String name, int n, DataType weightType) throws IOException {
        INDArray v = Nd4j.create(s.read(name, n), new long[] {n}, 'c');
        return weightType == DataType.DOUBLE ? v.castTo(DataType.DOUBLE) : v;
    }
}
