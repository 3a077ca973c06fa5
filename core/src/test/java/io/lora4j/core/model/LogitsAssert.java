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

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
