package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The compact reference logits of shared/data/families (families/README.md): for a source S, {@code S.logits.cols.f32}
 * (every row, only the ids of logits_columns.txt), {@code S.logits.last.f32} (the full last row of each line) and
 * {@code S.lse.f32} (log Σ exp over each full row).
 */
public record CompactLogits(int[] columns, float[][] cols, float[][] last, float[] lse) {

    public static CompactLogits read(Path familyDir, String source, int vocab) throws IOException {
        int[] columns = Arrays.stream(Files.readString(familyDir.resolve("logits_columns.txt")).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        float[] c = floats(familyDir.resolve(source + ".logits.cols.f32"));
        float[] l = floats(familyDir.resolve(source + ".logits.last.f32"));
        float[] lse = floats(familyDir.resolve(source + ".lse.f32"));
        return new CompactLogits(columns, rows(c, columns.length), rows(l, vocab), lse);
    }

    private static float[] floats(Path f) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    private static float[][] rows(float[] v, int width) {
        if (v.length % width != 0) throw new IllegalArgumentException(v.length + " floats are not rows of " + width);
        float[][] r = new float[v.length / width][];
        for (int i = 0; i < r.length; i++) r[i] = Arrays.copyOfRange(v, i * width, (i + 1) * width);
        return r;
    }

    /** Max |Δ| of the kept columns, the last rows and the log-sum-exps, and the share of rows whose arg-max agrees with the last-row reference. */
    public record Diff(double cols, double last, double lse, int rows) {
        public double max() {
            return Math.max(cols, Math.max(last, lse));
        }

        @Override
        public String toString() {
            return String.format("maxabs %.3g (cols %.3g, last %.3g, lse %.3g) over %d rows", max(), cols, last, lse, rows);
        }
    }

    /** Runs the model on each line (from position 0) and compares its full logits with this reference. */
    public Diff compare(LlamaModel model, List<int[]> lines) {
        double dc = 0, dl = 0, ds = 0;
        int row = 0;
        for (int li = 0; li < lines.size(); li++) {
            float[][] got = model.logits(new int[][] {lines.get(li)}).toFloatMatrix();
            for (float[] g : got) {
                for (int j = 0; j < columns.length; j++) dc = Math.max(dc, Math.abs(g[columns[j]] - cols[row][j]));
                ds = Math.max(ds, Math.abs(logSumExp(g) - lse[row]));
                row++;
            }
            float[] g = got[got.length - 1];
            assertEquals(last[li].length, g.length, "vocabulary size");
            for (int i = 0; i < g.length; i++) dl = Math.max(dl, Math.abs(g[i] - last[li][i]));
        }
        assertEquals(cols.length, row, "reference rows vs tokens");
        assertEquals(lines.size(), last.length, "reference last rows vs lines");
        return new Diff(dc, dl, ds, row);
    }

    static double logSumExp(float[] v) {
        double m = Double.NEGATIVE_INFINITY, s = 0;
        for (float x : v) m = Math.max(m, x);
        for (float x : v) s += Math.exp(x - m);
        return m + Math.log(s);
    }
}
