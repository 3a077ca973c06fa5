package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@code lora4j bench quantize}: MB/s of F32 input per type for an n×n random tensor (Gaussian with sparse 25×
 * outliers), one column per thread count and the scaling from 1 thread to the most, a single-thread column in CPU
 * time, and beside it ggml's own C reference quantizers, single thread. The ggml figures are not measured by this
 * run: they are carried over from {@link GgmlReferenceSpeed}'s resource, whose provenance (command, llama.cpp
 * commit, date, machine) is printed above the table.
 * Usage: {@code QuantizeBenchmark [n] [threads...]}, default 4096 and 1 plus all cores.
 */
public final class QuantizeBenchmark {    static final GgmlType[] TYPES = {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K,
            GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.F16, GgmlType.BF16};

    private QuantizeBenchmark() {}

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int[] threads = Arrays.stream(args).skip(1).mapToInt(Integer::parseInt).toArray();
        run(System.out, n, threads);
    }

    /** Prints the table for an n×n tensor; no thread counts means 1 and all cores. */
    public static void run(PrintStream out, int n, int... threads) {
        int cores = Runtime.getRuntime().availableProcessors();
        int[] ts = threads.length > 0 ? threads : cores > 1 ? new int[] {1, cores} : new int[] {1};
        float[] x = randomTensor(n, 1);
        double mb = x.length * 4.0 / 1e6;
        out.printf("lora4j bench quantize: %dx%d F32 tensor (%.0f MB), %d cores, %s, Vector API kernels %s%n", n, n, mb, cores,
                System.getProperty("java.vm.name") + " " + Runtime.version(), Simd.ENABLED ? "on" : "off (scalar code)");
        GgmlReferenceSpeed ggml = GgmlReferenceSpeed.load();
        for (String line : ggml.provenance()) out.println(line);
        StringBuilder head = new StringBuilder("| type |");
        StringBuilder rule = new StringBuilder("|---|");
        for (int t : ts) {
            head.append(' ').append(t).append(t == 1 ? " thread" : " threads").append(" MB/s |");
            rule.append("---:|");
        }
        if (ts.length > 1) {
            head.append(" scaling ").append(ts[ts.length - 1]).append("/").append(ts[0]).append(" |");
            rule.append("---:|");
        }
        out.println(head + " 1 thread, CPU time, MB/s | ggml ref, same input, 1 thread, MB/s (carried over) | CPU-time / ggml"
                + " | ggml test-quantize-perf, its own input, MB/s (carried over) |");
        out.println(rule + "---:|---:|---:|---:|");
        for (GgmlType type : TYPES) {
            List<String> cells = new ArrayList<>();
            double first = 0, last = 0;
            for (int t : ts) {
                last = mbPerSecond(x, n, type, t, mb, false);
                if (cells.isEmpty()) first = last;
                cells.add(String.format("%.0f", last));
            }
            if (ts.length > 1) cells.add(String.format("%.2fx", last / first));
            double cpu = mbPerSecond(x, n, type, 1, mb, true);
            Double ref = ggml.sameInput(type), tqp = ggml.testQuantizePerf(type);
            out.printf("| %s | %s | %.0f | %s | %s | %s |%n", type, String.join(" | ", cells), cpu, ref == null ? "-" : String.format("%.0f", ref),
                    ref == null ? "-" : String.format("%.2fx", cpu / ref), tqp == null ? "-" : String.format("%.0f", tqp));
        }
    }

    static float[] randomTensor(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * n];
        for (int i = 0; i < x.length; i++) {
            float v = (float) r.nextGaussian();
            x[i] = r.nextInt(200) == 0 ? 25 * v : v;
        }
        return x;
    }

    /**
     * Best of 5 to 200 runs, ~1.5 s of work per cell, after at least 0.5 s of warm-up (so the timed calls run fully
     * JIT-compiled code), into one preallocated output as ggml's measurement does; wall time, or with {@code cpuTime}
     * the calling thread's CPU time (one thread runs on the caller), which a machine shared with other work disturbs less.
     */
    private static double mbPerSecond(float[] x, int n, GgmlType t, int threads, double mb, boolean cpuTime) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        byte[] out = new byte[(int) (t.rowBytes(n) * n)];
        long t0 = System.nanoTime();
        int calls = 0;
        while (calls < 3 || System.nanoTime() - t0 < 500_000_000L) {
            Quantizers.quantizeInto(x, n, n, t, threads, null, out);
            calls++;
        }
        double each = (System.nanoTime() - t0) / 1e9 / calls;
        // best of many short runs: on a shared machine (or a VM whose host takes the CPU away, which even the
        // thread's CPU time does not see) only the best runs show the code's own speed
        int reps = (int) Math.max(5, Math.min(200, 1.5 / Math.max(each, 1e-4)));
        double best = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long s = cpuTime ? mx.getCurrentThreadCpuTime() : System.nanoTime();
            Quantizers.quantizeInto(x, n, n, t, threads, null, out);
            best = Math.min(best, ((cpuTime ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - s) / 1e9);
        }
        return mb / best;
    }
}
