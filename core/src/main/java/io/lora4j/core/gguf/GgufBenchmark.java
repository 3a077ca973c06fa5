package io.lora4j.core.gguf;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Single-thread GGUF throughput per file: open (validate the header), readFloats of every tensor (map + dequantize),
 * and a byte-for-byte rewrite with GgufWriter to a temporary file. Best of several rounds after a warm-up.
 * Usage: {@code GgufBenchmark FILE.gguf...}
 */
public final class GgufBenchmark {
    private GgufBenchmark() {}

    public static void main(String[] args) throws IOException {
        List<Path> files = new ArrayList<>();
        for (String a : args) files.add(Path.of(a));
        run(files, System.out);
    }

    public static void run(List<Path> files, PrintStream out) throws IOException {
        out.println("| file | MB | tensors | keys | open ms | readFloats MB/s (file bytes) | rewrite MB/s |");
        out.println("|---|---|---|---|---|---|---|");
        Path tmp = Files.createTempFile("gguf-bench", ".gguf");
        try {
            for (Path f : files) {
                double mb = Files.size(f) / 1e6;
                int tensors, keys;
                try (GgufFile g = GgufFile.open(f)) {
                    tensors = g.tensors().size();
                    keys = g.metadata().keys().size();
                }
                double open = best(() -> GgufFile.open(f).close());
                double read = best(() -> {
                    try (GgufFile g = GgufFile.open(f)) {
                        for (GgufTensorInfo t : g.tensors()) g.readFloats(t);
                    }
                });
                double rewrite = best(() -> {
                    try (GgufFile g = GgufFile.open(f)) {
                        GgufWriter w = new GgufWriter().putAll(g.metadata());
                        for (GgufTensorInfo t : g.tensors()) w.addTensor(t.name(), t.ne(), t.type(), g.tensorBytes(t));
                        w.write(tmp);
                    }
                });
                out.printf("| %s | %.2f | %d | %d | %.2f | %.0f | %.0f |%n", f.getFileName(), mb, tensors, keys, open * 1e3, mb / read, mb / rewrite);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private interface Step {
        void run() throws IOException;
    }

    /** Seconds of the fastest of at least 5 rounds (and 1 s) after 3 warm-up rounds. */
    private static double best(Step s) throws IOException {
        for (int i = 0; i < 3; i++) s.run();
        double best = Double.MAX_VALUE;
        long start = System.nanoTime();
        for (int i = 0; i < 5 || System.nanoTime() - start < 1_000_000_000L; i++) {
            long t0 = System.nanoTime();
            s.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }
}
