package io.lora4j.core.model;

import java.io.IOException;
import java.util.ArrayList;
import io.lora4j.core.ggml.GgmlType;
import java.util.Arrays;
import java.util.Collections;
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
 * The frozen base weights, in Hugging Face layout (Linear weights are (out, in); Q/K rows in rotate-half order).
 * Matrices — the embedding, the seven projections, the output — are {@link FrozenWeight}s held as stored or as
 * {@link BaseDtype} asks (fp32, fp16, bf16, or ggml blocks, expanded one at a time right before use); norm weights
 * and biases are always fp32 arrays. The INDArray accessors ({@link #tokenEmbedding()}, {@link #output()},
 * {@link Layer#w}) return the stored array when it is dense, else a fresh fp32 expansion (merges, exports).
 */
public final class LlamaWeights {
    private final FrozenWeight embedding;
    private final List<Layer> layers;
    private final INDArray outputNorm;
    private final FrozenWeight output;

    /**
     * @param embedding  (V, d)
     * @param layers     per-layer weights
     * @param outputNorm (d)
     * @param output     (V, d); the same object as {@code embedding} when tied
     */
    public LlamaWeights(FrozenWeight embedding, List<Layer> layers, INDArray outputNorm, FrozenWeight output) {
        this.embedding = embedding;
        this.layers = List.copyOf(layers);
        this.outputNorm = outputNorm;
        this.output = output;
    }

    /** Dense weights; {@code output} may be the {@code tokenEmbedding} array itself (tied). */
    public LlamaWeights(INDArray tokenEmbedding, List<Layer> layers, INDArray outputNorm, INDArray output) {
        this(tied(tokenEmbedding, output), layers, outputNorm);
    }

    private LlamaWeights(FrozenWeight[] embeddingAndOutput, List<Layer> layers, INDArray outputNorm) {
        this(embeddingAndOutput[0], layers, outputNorm, embeddingAndOutput[1]);
    }

    /** One object for both when the arrays are the same (tied), so the model sees them tied. */
    private static FrozenWeight[] tied(INDArray embedding, INDArray output) {
        DenseWeight e = dense(embedding);
        return new FrozenWeight[] {e, output == embedding ? e : dense(output)};
    }

    private static DenseWeight dense(INDArray a) {
        return new DenseWeight(a);
    }

    /** (V, d) as stored. */
    public FrozenWeight embeddingWeight() {
        return embedding;
    }

    /** (V, d) as stored; the embedding object itself when tied. */
    public FrozenWeight outputWeight() {
        return output;
    }

    /** (V, d): the dense array, or a fresh fp32 expansion of a block-stored one. */
    public INDArray tokenEmbedding() {
        return denseOrExpanded(embedding);
    }

    /** (V, d): the dense array (the embedding array when tied), or a fresh fp32 expansion. */
    public INDArray output() {
        return output == embedding ? tokenEmbedding() : denseOrExpanded(output);
    }

    public List<Layer> layers() {
        return layers;
    }

    public INDArray outputNorm() {
        return outputNorm;
    }

    static INDArray denseOrExpanded(FrozenWeight w) {
        return w instanceof DenseWeight d ? d.array() : w.toDense(DataType.FLOAT);
    }

    /**
     * One block's weights.
     * attnNorm (d); the seven projections, each (out, in); ffnNorm (d); additive biases (out) of the projections
     * that have one (Qwen2: q, k, v), else empty.
     */
    public static final class Layer {
        private final INDArray attnNorm;
        private final Map<Projection, FrozenWeight> proj;
        private final INDArray ffnNorm;
        private final Map<Projection, INDArray> bias;

        /** Dense projections. */
        public Layer(INDArray attnNorm, Map<Projection, INDArray> proj, INDArray ffnNorm, Map<Projection, INDArray> bias) {
            this(wrap(proj), attnNorm, ffnNorm, bias);
        }

        /** A layer without biases. */
        public Layer(INDArray attnNorm, Map<Projection, INDArray> proj, INDArray ffnNorm) {
            this(attnNorm, proj, ffnNorm, Map.of());
        }

        private Layer(Map<Projection, FrozenWeight> proj, INDArray attnNorm, INDArray ffnNorm, Map<Projection, INDArray> bias) {
            this.attnNorm = attnNorm;
            this.proj = Collections.unmodifiableMap(new EnumMap<>(proj));
            this.ffnNorm = ffnNorm;
            this.bias = bias.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(bias));
        }

        /** Projections in any storage. */
        public static Layer of(INDArray attnNorm, Map<Projection, FrozenWeight> proj, INDArray ffnNorm, Map<Projection, INDArray> bias) {
            return new Layer(proj, attnNorm, ffnNorm, bias);
        }

        private static Map<Projection, FrozenWeight> wrap(Map<Projection, INDArray> proj) {
            Map<Projection, FrozenWeight> m = new EnumMap<>(Projection.class);
            proj.forEach((p, a) -> m.put(p, new DenseWeight(a)));
            return m;
        }

        public INDArray attnNorm() {
            return attnNorm;
        }

        public INDArray ffnNorm() {
            return ffnNorm;
        }

        /** Biases by projection (empty without). */
        public Map<Projection, INDArray> bias() {
            return bias;
        }

        /** The projection as stored. */
        public FrozenWeight weight(Projection p) {
            return proj.get(p);
        }

        /** The projection as an array: the stored one when dense, else a fresh fp32 expansion. */
        public INDArray w(Projection p) {
            return denseOrExpanded(proj.get(p));
        }

        /** The bias of a projection, or null when it has none. */
        public INDArray b(Projection p) {
            return bias.get(p);
        }

        /** The same layer with other (dense) projection weights (merges keep norms and biases). */
        public Layer withProjections(Map<Projection, INDArray> newProj) {
            return new Layer(wrap(newProj), attnNorm, ffnNorm, bias);
        }
    }

    /** The type of dense weights (fp64 in gradient checks, else the embedding's array type); FLOAT for block storage. */
    public DataType weightType() {
        return embedding instanceof DenseWeight d ? d.array().dataType() : DataType.FLOAT;
    }

    /** Bytes the stored matrices take (tied embeddings once). */
    public long storedMatrixBytes() {
        long n = embedding.storedBytes() + (output == embedding ? 0 : output.storedBytes());
        for (Layer l : layers) for (Projection p : Projection.values()) n += l.weight(p).storedBytes();
        return n;
    }

    /**
     * Reads every tensor of a model from {@code source}, checking shapes against {@code config}; a tensor the source
     * holds but the model would not use is an error (it would otherwise be silently ignored, changing the math).
     *
     * @param weightType FLOAT, HALF or BFLOAT16 (as {@link BaseDtype} F32, F16, BF16), or DOUBLE for gradient checks
     */
    public static LlamaWeights load(LlamaConfig c, WeightSource source, DataType weightType) throws IOException {
        return switch (weightType) {
            case FLOAT -> load(c, source, BaseDtype.F32);
            case HALF -> load(c, source, BaseDtype.F16);
            case BFLOAT16 -> load(c, source, BaseDtype.BF16);
            case DOUBLE -> load(c, source, (s, name, rows, cols) -> dense(array(s.read(name, rows, cols), rows, cols).castTo(DataType.DOUBLE)), DataType.DOUBLE);
            default -> throw new IllegalArgumentException("frozen weights are held as FLOAT, HALF, BFLOAT16 (or DOUBLE for checks), not " + weightType);
        };
    }

    /** As above, each matrix held as {@code dtype} says. */
    public static LlamaWeights load(LlamaConfig c, WeightSource source, BaseDtype dtype) throws IOException {
        MatrixReader reader = switch (dtype) {
            case AUTO -> WeightSource::readStored;
            case F32 -> (s, name, rows, cols) -> dense(array(s.read(name, rows, cols), rows, cols));
            case F16 -> (s, name, rows, cols) -> dense(array(s.read(name, rows, cols), rows, cols).castTo(DataType.HALF));
            case BF16 -> (s, name, rows, cols) -> dense(array(s.read(name, rows, cols), rows, cols).castTo(DataType.BFLOAT16));
            case Q8_0 -> (s, name, rows, cols) -> QuantizedWeights.quantize(name, s.read(name, rows, cols), rows, cols, GgmlType.Q8_0);
            case Q4_0 -> (s, name, rows, cols) -> QuantizedWeights.quantize(name, s.read(name, rows, cols), rows, cols, GgmlType.Q4_0);
        };
        return load(c, source, reader, DataType.FLOAT);
    }

    /** How one matrix is read and held. */
    @FunctionalInterface
    private interface MatrixReader {
        FrozenWeight read(WeightSource s, String hfName, int rows, int cols) throws IOException;
    }

    private static INDArray array(float[] values, int rows, int cols) {
        return Nd4j.create(values, new long[] {rows, cols}, 'c');
    }

    private static LlamaWeights load(LlamaConfig c, WeightSource source, MatrixReader matrix, DataType vectorType) throws IOException {
        Set<String> used = new HashSet<>();
        WeightSource s = recording(source, used);
        FrozenWeight embedding = matrix.read(s, "model.embed_tokens.weight", c.vocabSize(), c.dim());
        List<Layer> layers = new ArrayList<>(c.nLayers());
        for (int l = 0; l < c.nLayers(); l++) {
            String prefix = "model.layers." + l + ".";
            INDArray attnNorm = vector(s, prefix + "input_layernorm.weight", c.dim(), vectorType);
            INDArray ffnNorm = vector(s, prefix + "post_attention_layernorm.weight", c.dim(), vectorType);
            Map<Projection, FrozenWeight> proj = new EnumMap<>(Projection.class);
            Map<Projection, INDArray> bias = new EnumMap<>(Projection.class);
            for (Projection p : Projection.values()) {
                proj.put(p, matrix.read(s, p.hfWeightName(l), p.outFeatures(c), p.inFeatures(c)));
                if (c.hasBias(p)) bias.put(p, vector(s, p.hfBiasName(l), p.outFeatures(c), vectorType));
            }
            layers.add(Layer.of(attnNorm, proj, ffnNorm, bias));
        }
        INDArray outputNorm = vector(s, "model.norm.weight", c.dim(), vectorType);
        FrozenWeight output = c.tiedEmbeddings() ? embedding : matrix.read(s, "lm_head.weight", c.vocabSize(), c.dim());
        checkAllUsed(c, source, used, embedding);
        return new LlamaWeights(embedding, layers, outputNorm, output);
    }

    private static void checkAllUsed(LlamaConfig c, WeightSource source, Set<String> used, FrozenWeight embedding) throws IOException {
        if (source.tensorNames().isEmpty()) return;
        Set<String> unused = new TreeSet<>(source.tensorNames().get());
        unused.removeAll(used);
        unused.removeIf(n -> n.endsWith(".rotary_emb.inv_freq")); // a cached buffer older transformers saved; recomputed
        if (c.tiedEmbeddings() && unused.contains("lm_head.weight")) {
            // some tied checkpoints store the output matrix too: fine when it is the embedding
            float[] out = source.read("lm_head.weight", c.vocabSize(), c.dim());
            if (Arrays.equals(out, embedding.toDense(DataType.FLOAT).data().asFloat())) unused.remove("lm_head.weight");
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
            public FrozenWeight readStored(String hfName, long rows, long cols) throws IOException {
                used.add(hfName);
                return s.readStored(hfName, rows, cols);
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

    /** Norm weights and biases stay fp32 (fp64 only for gradient checks). */
    private static INDArray vector(WeightSource s, String name, int n, DataType type) throws IOException {
        INDArray v = Nd4j.create(s.read(name, n), new long[] {n}, 'c');
        return type == DataType.DOUBLE ? v.castTo(DataType.DOUBLE) : v;
    }
}
