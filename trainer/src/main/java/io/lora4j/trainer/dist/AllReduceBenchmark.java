package io.lora4j.trainer.dist;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Ring all-reduce speed with 2 ranks as 2 processes on loopback, beside a plain socket copy of the same bytes between
 * the same two processes. GB/s is algorithm bandwidth: buffer bytes / time (1 GB = 10^9 bytes). With 2 ranks each
 * rank sends and receives the whole buffer once, so the one-way copy is the bar (goal: ≥ 70 % of it at ≥ 50 MiB);
 * the two-way copy shows what loopback gives when both directions are busy, as they are during an all-reduce.
 *
 * <p>The main column all-reduces an ND4J FLOAT array, as the trainer's fused gradients are; the float[] column the
 * same bytes from the Java heap (copied through the frame buffers). Usage:
 * {@code AllReduceBenchmark [--sizes=1,10,50,200] [--frame-bytes=1048576] [--socket-buffer-bytes=0]}.
 */
public final class AllReduceBenchmark {
    private AllReduceBenchmark() {}

    public static void main(String[] args) throws Exception {
        String sizes = "1,10,50,200";
        int frameBytes = RingOptions.defaults().frameBytes();
        int socketBufferBytes = RingOptions.defaults().socketBufferBytes();
        for (String a : args) {
            if (a.startsWith("--sizes=")) sizes = a.substring("--sizes=".length());
            else if (a.startsWith("--frame-bytes=")) frameBytes = Integer.parseInt(a.substring("--frame-bytes=".length()));
            else if (a.startsWith("--socket-buffer-bytes=")) socketBufferBytes = Integer.parseInt(a.substring("--socket-buffer-bytes=".length()));
            else throw new IllegalArgumentException("unknown argument " + a
                    + "; accepted: --sizes=1,10,50,200 --frame-bytes=N --socket-buffer-bytes=N");
        }
        run(System.out, sizes, frameBytes, socketBufferBytes);
    }

    public static void run(PrintStream out) throws Exception {
        run(out, "1,10,50,200", RingOptions.defaults().frameBytes(), RingOptions.defaults().socketBufferBytes());
    }

    public static void run(PrintStream out, String sizesMiB, int frameBytes, int socketBufferBytes) throws Exception {
        String cp = System.getProperty("java.class.path");
        List<String> jvm = List.of("-Xmx1g", "-XX:MaxDirectMemorySize=1g");
        List<List<String>> output;
        try (ProcessGang gang = ProcessGang.start(2, cp, jvm, AllReduceBenchmarkWorker.class.getName(),
                List.of(Integer.toString(frameBytes), sizesMiB, Integer.toString(socketBufferBytes)))) {
            output = gang.await(15, TimeUnit.MINUTES);
        }
        out.printf("all-reduce of an ND4J FLOAT array, 2 ranks as 2 JVM processes on loopback, %d-byte frames, socket buffers %s,"
                        + " %d CPUs, Java %s%n", frameBytes, socketBufferBytes == 0 ? "OS default" : socketBufferBytes + " B",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        out.println("GB/s = buffer bytes / time (algorithm bandwidth, 1 GB = 1e9 B), medians of interleaved rounds. ratio = the ND4J"
                + " all-reduce's GB/s over the one-way copy's; vs 2-way = over the 2-way copy's (each rank must send and receive the"
                + " whole buffer once, so a 2-way copy of the same bytes is the least an all-reduce has to move)");
        out.printf("%8s | %13s %7s | %13s %7s | %13s %7s | %6s | %13s %7s | %8s%n", "size MiB", "all-reduce ms", "GB/s",
                "float[] ms", "GB/s", "copy ms", "GB/s", "ratio", "2-way copy ms", "GB/s", "vs 2-way");
        for (String row : output.get(0)) {
            if (!row.startsWith("ROW ")) continue;
            String[] f = row.split(" ");
            int mib = Integer.parseInt(f[1]);
            double ar = Double.parseDouble(f[2]), heap = Double.parseDouble(f[3]), copy = Double.parseDouble(f[4]), duplex = Double.parseDouble(f[5]);
            double bytes = (double) mib * (1 << 20);
            out.printf("%8d | %13.2f %7.2f | %13.2f %7.2f | %13.2f %7.2f | %5.0f%% | %13.2f %7.2f | %7.0f%%%n", mib, ar, gbps(bytes, ar),
                    heap, gbps(bytes, heap), copy, gbps(bytes, copy), 100 * copy / ar, duplex, gbps(bytes, duplex), 100 * duplex / ar);
        }
    }

    private static double gbps(double bytes, double ms) {
        return bytes / (ms / 1e3) / 1e9;
    }
}
