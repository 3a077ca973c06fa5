package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

/** Compares a model's logits for token lines with a reference logits file's rows. */
public final class LogitsAssert {
    private LogitsAssert() {}

    /** Max and mean absolute difference and the share of positions whose arg-max token agrees. */
    public record Stats(double maxAbs, double meanAbs, double top1Agreement) {
        @Override
        public String toString() {
            return String.format("max |Δ| %.3g, mean |Δ| %.3g, top-1 agreement %.1f%%", maxAbs, meanAbs, 100 * top1Agreement);
        }
    }

    public static Stats compare(LlamaModel model, List<int[]> lines, float[][] expected) {
        int row = 0, agree = 0;
        double max = 0, sum = 0;
        long n = 0;
        for (int[] ids : lines) {
            float[][] got = model.logits(new int[][] {ids}).toFloatMatrix();
            for (float[] g : got) {
                float[] e = expected[row++];
                assertEquals(e.length, g.length, "vocabulary size");
                for (int i = 0; i < g.length; i++) {
                    double d = Math.abs(g[i] - e[i]);
                    max = Math.max(max, d);
                    sum += d;
                    n++;
                }
                if (argmax(g) == argmax(e)) agree++;
            }
        }
        assertEquals(expected.length, row, "reference rows vs tokens");
        return new Stats(max, sum / n, (double) agree / row);
    }

    /**
     * The fp16 noise floor of a model: the max |Δ| between its fp32 and fp64 evaluations, both rounding attention
     * operands to fp16 like llama.cpp. Differences of float summation order flip fp16 roundings; llama.cpp's logits
     * cannot be matched more closely than this without replaying ggml's exact float operations.
     */
    public static double f16NoiseFloor(LlamaConfig c, WeightSource source, List<int[]> lines) throws Exception {
        LlamaModel f = new LlamaModel(c, LlamaWeights.load(c, source, org.nd4j.linalg.api.buffer.DataType.FLOAT)).emulateF16KvCache(true);
        LlamaModel d = new LlamaModel(c, LlamaWeights.load(c, source, org.nd4j.linalg.api.buffer.DataType.DOUBLE)).emulateF16KvCache(true);
        double max = 0;
        for (int[] ids : lines) {
            float[][] x = f.logits(new int[][] {ids}).toFloatMatrix();
            double[][] y = d.logits(new int[][] {ids}).toDoubleMatrix();
            for (int t = 0; t < x.length; t++) for (int i = 0; i < x[t].length; i++) max = Math.max(max, Math.abs(x[t][i] - y[t][i]));
        }
        return max;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
