package io.lora4j.core.model;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;

/** Small random LLaMA models for unit tests (no fixtures needed). */
public final class TinyModels {
    private TinyModels() {}

    /** d 16, H 4, Hkv 2 (GQA), hd 4, f 24, V 23, L layers. */
    public static LlamaConfig config(int layers, boolean tied) {
        return new LlamaConfig(16, 24, layers, 4, 2, 4, 23, 64, 1e-5f, 10000f, tied);
    }

    /** Rows that ggml's 32-value blocks divide (d 64, H 4, Hkv 2, hd 16, f 96, V 29): for Q8_0/Q4_0-held bases. */
    public static LlamaConfig blockConfig(int layers, boolean tied) {
        return new LlamaConfig(64, 96, layers, 4, 2, 16, 29, 64, 1e-5f, 10000f, tied);
    }

    /** Every matrix of {@code w} expanded to a dense fp32 array: the fp32 model a block-held base must match. */
    public static LlamaWeights expanded(LlamaConfig c, LlamaWeights w) {
        java.util.List<LlamaWeights.Layer> layers = new java.util.ArrayList<>();
        for (LlamaWeights.Layer l : w.layers()) {
            Map<Projection, org.nd4j.linalg.api.ndarray.INDArray> proj = new java.util.EnumMap<>(Projection.class);
            for (Projection p : Projection.values()) proj.put(p, l.weight(p).toDense(DataType.FLOAT));
            layers.add(new LlamaWeights.Layer(l.attnNorm(), proj, l.ffnNorm(), l.bias()));
        }
        org.nd4j.linalg.api.ndarray.INDArray emb = w.embeddingWeight().toDense(DataType.FLOAT);
        return new LlamaWeights(emb, layers, w.outputNorm(), c.tiedEmbeddings() ? emb : w.outputWeight().toDense(DataType.FLOAT));
    }

    /**
     * The tiny config with the family features: biases on {@code biases}, Llama-3.1 RoPE scaling (factors 1 … 8 over
     * the two rotary pairs of hd 4, with a small original context so both the scaled and the smooth band occur)
     * and a sliding window (0: none).
     */
    public static LlamaConfig familyConfig(int layers, boolean tied, java.util.Set<Projection> biases, boolean ropeScaling, int window) {
        LlamaConfig c = config(layers, tied);
        RopeScaling rs = ropeScaling ? RopeScaling.llama3(8f, 1f, 4f, 64, c.headDim(), c.ropeTheta()) : null;
        return new LlamaConfig(c.dim(), c.hiddenDim(), layers, c.nHeads(), c.nKvHeads(), c.headDim(), c.vocabSize(), c.contextLength(),
                c.rmsNormEps(), c.ropeTheta(), tied, Architecture.LLAMA, biases, rs, window);
    }

    /** A source of random weights: Gaussian with std 0.3, norm weights around 1. */
    public static WeightSource randomSource(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> cache = new HashMap<>();
        return new WeightSource() {
            @Override
            public float[] read(String name, long... shape) {
                return cache.computeIfAbsent(name, n -> {
                    long size = 1;
                    for (long s : shape) size *= s;
                    float[] v = new float[(int) size];
                    boolean norm = n.contains("norm");
                    for (int i = 0; i < v.length; i++) v[i] = (float) (norm ? 1 + 0.1 * r.nextGaussian() : 0.3 * r.nextGaussian());
                    return v;
                });
            }

            @Override
            public boolean contains(String name) {
                return true;
            }

            @Override
            public String describe() {
                return "random(" + seed + ")";
            }
        };
    }

    public static LlamaModel model(LlamaConfig c, long seed, DataType type, LinearFactory factory) throws Exception {
        return new LlamaModel(c, LlamaWeights.load(c, randomSource(seed), type), factory);
    }

    public static int[][] tokens(LlamaConfig c, int B, int T, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] t = new int[B][T];
        for (int[] row : t) for (int i = 0; i < T; i++) row[i] = r.nextInt(c.vocabSize());
        return t;
    }
}
