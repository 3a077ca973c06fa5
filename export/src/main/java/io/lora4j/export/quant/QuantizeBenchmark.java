package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;
import java.io.PrintStream;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code lora4j bench quantize}: MB/s of F32 input per type for an n×n tensor, single-thread and all cores, beside
 * ggml's own C reference quantizers as measured on these 2-core machines.
 */
public final class QuantizeBenchmark {
    private static final Map<GgmlType, Integer> GGML_C = Map.of(GgmlType.Q4_0, 3600, GgmlType.Q8_0, 950, GgmlType.Q3_K, 540,
            GgmlType.Q6_K, 150, GgmlType.Q5_K, 70, GgmlType.Q2_K, 50, GgmlType.Q4_K, 40);

    private QuantizeBenchmark() {}

    public static void run(PrintStream out, int n) {
        int cores = Runtime.getRuntime().availableProcessors();
        float[] x = new float[n * n];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        double mb = x.length * 4 / 1e6;
        out.printf("lora4j bench quantize — %dx%d F32 tensor (%.0f MB), %d cores%n", n, n, mb, cores);
        out.println("| type | 1 thread MB/s | " + cores + " threads MB/s | scaling | ggml C reference (1 thread) MB/s | 1 thread vs ggml |");
        out.println("|---|---|---|---|---|---|");
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K,
                GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.F16}) {
            double one = mbPerSecond(x, n, t, 1, mb), all = mbPerSecond(x, n, t, cores, mb);
            Integer ref = GGML_C.get(t);
            out.printf("| %s | %.0f | %.0f | %.2fx | %s | %s |%n", t, one, all, all / one, ref == null ? "–" : ref.toString(),
                    ref == null ? "–" : String.format("%.2fx", one / ref));
        }
    }

    private static double mbPerSecond(float[] x, int n, GgmlType t, int threads, double mb) {
        Quantizers.quantize(x, n, n, t, threads); // warm-up
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 2; i++) {
            long t0 = System.nanoTime();
            Quantizers.quantize(x, n, n, t, threads);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return mb / best;
    }
}
