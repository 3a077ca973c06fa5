package io.lora4j.export;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.WeightSource;
import io.lora4j.core.tokenizer.TokenizerModel;
import io.lora4j.core.tokenizer.Tokenizers;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraConfig;
import io.lora4j.lora.LoraModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Peak memory of a streaming export: writes a synthetic F16 LLaMA GGUF with N layers (7B shape by default) into a
 * directory, then exports it with a random rank-8 adapter in a child JVM and reports the child's peak RSS (VmHWM).
 * Streaming means the peak does not depend on N.
 *
 * <pre>java -cp ... io.lora4j.export.ExportMemoryBenchmark --dir DIR --layers 4 [--type Q4_K_M] [--shape 7b|medium|small] [--xmx 1400m]
 *   [--eval-tokens 8] [--threads 2] [--tokenizer-from stories260K.gguf] [--quantize true]</pre>
 * (with {@code --quantize true}: {@code lora4j quantize} of the base instead of an export)
 */
public final class ExportMemoryBenchmark {
    private ExportMemoryBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child")) {
            child(Path.of(args[1]), Path.of(args[2]), QuantPreset.parse(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]),
                    args.length > 6 ? Integer.parseInt(args[6]) : 8, args.length > 7 ? Double.parseDouble(args[7]) : 1e-3);
            return;
        }
        if (args.length > 0 && args[0].equals("--child-quantize")) {
            io.lora4j.export.quant.GgufQuantizer.quantize(Path.of(args[1]), Path.of(args[2]), QuantPreset.parse(args[3]), Integer.parseInt(args[4]));
            printPeak();
            return;
        }
        Path dir = null;
        int layers = 4, evalTokens = 8, threads = 2;
        boolean quantize = false;
        String type = "Q4_K_M", shape = "7b", xmx = "1400m", tokFrom = "/work/shared/data/models/stories260K.gguf";
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[i + 1]);
                case "--quantize" -> quantize = Boolean.parseBoolean(args[i + 1]);
                case "--layers" -> layers = Integer.parseInt(args[i + 1]);
                case "--type" -> type = args[i + 1];
                case "--shape" -> shape = args[i + 1];
                case "--xmx" -> xmx = args[i + 1];
                case "--eval-tokens" -> evalTokens = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--tokenizer-from" -> tokFrom = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (dir == null) throw new IllegalArgumentException("--dir DIR is required");
        Result r = quantize ? runQuantize(dir, layers, shape, type, xmx, threads, Path.of(tokFrom)) : run(dir, layers, shape, type, xmx, evalTokens, threads, Path.of(tokFrom));
        System.out.printf((quantize ? "quantize " : "export ") + "layers %d shape %s type %s: base %,d bytes, wrote %,d bytes in %.1f s, child peak RSS (VmHWM) %,d KiB = %.0f MiB%n",
                layers, shape, type, r.baseBytes, r.outBytes, r.seconds, r.peakKib, r.peakKib / 1024.0);
    }

    public record Result(long baseBytes, long outBytes, double seconds, long peakKib) {}

    public static LlamaConfig shape(String shape, int layers) {
        return switch (shape) {
            case "7b" -> new LlamaConfig(4096, 11008, layers, 32, 32, 128, 32000, 4096, 1e-5f, 10000f, false);
            case "small" -> new LlamaConfig(512, 1376, layers, 8, 8, 64, 32000, 2048, 1e-5f, 10000f, false);
            case "medium" -> new LlamaConfig(1024, 2816, layers, 16, 16, 64, 32000, 2048, 1e-5f, 10000f, false);
            default -> throw new IllegalArgumentException("--shape is 7b, medium or small, got " + shape);
        };
    }

    /** Writes the base (unless already there), runs the export in a child JVM, returns its peak RSS. */
    public static Result run(Path dir, int layers, String shape, String type, String xmx, int evalTokens, int threads, Path tokenizerFrom) throws Exception {
        Files.createDirectories(dir);
        Path base = dir.resolve("synthetic-" + shape + "-" + layers + "L.F16.gguf");
        if (!Files.exists(base)) writeBase(base, shape(shape, layers), tokenizerFrom);
        Path out = dir.resolve("out-" + shape + "-" + layers + "L-" + type);
        Result r = inChild(base, out.resolve("model." + QuantPreset.parse(type).name() + ".gguf"), List.of("--child", base.toString(), out.toString(), type,
                Integer.toString(evalTokens), Integer.toString(threads)), xmx);
        return r;
    }

    /** Writes the base (unless already there), runs {@code lora4j quantize} on it in a child JVM, returns its peak RSS. */
    public static Result runQuantize(Path dir, int layers, String shape, String type, String xmx, int threads, Path tokenizerFrom) throws Exception {
        Files.createDirectories(dir);
        Path base = dir.resolve("synthetic-" + shape + "-" + layers + "L.F16.gguf");
        if (!Files.exists(base)) writeBase(base, shape(shape, layers), tokenizerFrom);
        Path out = dir.resolve("quantized-" + shape + "-" + layers + "L." + type + ".gguf");
        return inChild(base, out, List.of("--child-quantize", base.toString(), out.toString(), type, Integer.toString(threads)), xmx);
    }

    /**
     * Exports an existing model file (which carries its tokenizer) with a random rank-{@code rank} adapter on all seven
     * projections to {@code type} in a child JVM, then deletes the output; {@code seconds} is the export itself, without
     * the JVM's start. B is Gaussian with std {@code bStd}: the export's carry check refuses a file whose merged delta
     * drowned in the quantization error, so B must be large for the base's scale. Measured on bench memory's Q4_0 base
     * (weights of std 1/√4096, r 16, alpha 32): with 1e-3 (delta RMS 7e-5) and 1e-2 (7e-4, below Q4_K's step) the Q4_K
     * projections kept under half the delta, since re-quantizing values that already sit on a 4-bit grid rounds a small
     * delta back onto it; 3e-2 (delta ~14% of the weights' RMS) passes.
     */
    public static Result exportModel(Path model, Path workDir, String type, int rank, double bStd, String xmx, int evalTokens, int threads) throws Exception {
        Path out = workDir.resolve("export-" + model.getFileName() + "-" + type);
        try {
            return inChild(model, out.resolve("model." + QuantPreset.parse(type).name() + ".gguf"), List.of("--child", model.toString(), out.toString(), type,
                    Integer.toString(evalTokens), Integer.toString(threads), Integer.toString(rank), Double.toString(bStd)), xmx);
        } finally {
            if (Files.isDirectory(out)) {
                try (var s = Files.walk(out)) {
                    for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Result inChild(Path base, Path out, List<String> args, String xmx) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + xmx, "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), ExportMemoryBenchmark.class.getName()));
        cmd.addAll(args);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (rc != 0) throw new IOException("the child JVM failed (exit " + rc + "):\n" + log);
        for (String line : log.split("\n")) if (line.startsWith("Rss") || line.startsWith("Heap") || line.startsWith("JavaCPP")) System.err.println("  child at exit: " + line); // stderr: bench memory prints its table on stdout
        long peak = -1;
        for (String line : log.split("\n")) if (line.startsWith("VmHWM-KiB ")) peak = Long.parseLong(line.substring(10).trim());
        if (peak < 0) throw new IOException("the child JVM reported no VmHWM:\n" + log);
        for (String line : log.split("\n")) if (line.startsWith("export-seconds ")) seconds = Double.parseDouble(line.substring(15).trim());
        return new Result(Files.size(base), Files.size(out), seconds, peak);
    }

    private static void child(Path base, Path out, QuantPreset type, int evalTokens, int threads, int rank, double bStd) throws Exception {
        LlamaConfig c;
        try (GgufFile f = GgufFile.open(base)) {
            c = io.lora4j.core.model.GgufCheckpoint.config(f);
        }
        // an adapter as the export command reads one (no gradient buffers), filled at random
        LoraAdapter a = LoraAdapter.empty(c, new LoraConfig(rank, 2f * rank, 0f, EnumSet.allOf(Projection.class), false));
        Nd4j.getRandom().setSeed(3);
        for (LoraModule m : a.modules()) {
            try (INDArray ra = Nd4j.rand(DataType.FLOAT, m.a().shape()); INDArray rb = Nd4j.randn(DataType.FLOAT, m.b().shape())) {
                m.a().assign(ra.subi(0.5).muli(2 / Math.sqrt(m.a().size(1))));
                m.b().assign(rb.muli(bStd));
            }
        }
        List<int[]> eval = new ArrayList<>();
        if (evalTokens > 0) {
            int[] s = new int[evalTokens];
            for (int i = 0; i < s.length; i++) s[i] = 1 + 37 * i % 500;
            eval.add(s);
        }
        long t0 = System.nanoTime();
        Exporter.export(base, Optional.empty(), a, out, new Exporter.Options(List.of(type), false, false, true, eval, threads), System.out);
        System.out.printf("export-seconds %.3f%n", (System.nanoTime() - t0) / 1e9);
        printPeak();
    }

    private static void printPeak() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) System.out.println("VmHWM-KiB " + line.replaceAll("[^0-9]", ""));
            if (line.startsWith("Rss")) System.out.println(line);
        }
        // where the anonymous memory is: the Java heap as committed (its growth under -Xmx is the GC's choice) and
        // JavaCPP's native allocations (ND4J buffers) as they stand at exit
        long peakCommitted = 0;
        for (var pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == java.lang.management.MemoryType.HEAP) peakCommitted += pool.getPeakUsage().getCommitted();
        }
        System.out.printf("Heap committed: %d MiB at exit, pools' peak %d MiB%n", Runtime.getRuntime().totalMemory() >> 20, peakCommitted >> 20);
        System.out.printf("JavaCPP physical bytes: %d MiB, tracked: %d MiB%n", org.bytedeco.javacpp.Pointer.physicalBytes() >> 20,
                org.bytedeco.javacpp.Pointer.totalBytes() >> 20);
    }

    /** A synthetic F16 base, streamed tensor by tensor: Gaussian weights (σ 0.02), norms near 1. */
    static void writeBase(Path out, LlamaConfig c, Path tokenizerFrom) throws IOException {
        TokenizerModel tok;
        try (GgufFile f = GgufFile.open(tokenizerFrom)) {
            tok = Tokenizers.fromGguf(f.metadata(), tokenizerFrom.toString());
        }
        LlamaGgufWriter.write(out, "synthetic", c, synthetic(), tok, QuantPreset.F16, 2, null, null);
    }

    /** Gaussian weights (σ 0.02), norms near 1, one random stream per tensor name: deterministic, nothing in memory. */
    static WeightSource synthetic() {
        return new WeightSource() {
            @Override
            public float[] read(String hfName, long... shape) {
                long n = 1;
                for (long s : shape) n *= s;
                float[] v = new float[Math.toIntExact(n)];
                SplittableRandom r = new SplittableRandom(hfName.hashCode());
                boolean norm = shape.length == 1;
                for (int i = 0; i < v.length; i++) v[i] = norm ? 1f + (float) (0.05 * r.nextGaussian()) : (float) (0.02 * r.nextGaussian());
                return v;
            }

            @Override
            public boolean contains(String hfName) {
                return true;
            }

            @Override
            public String describe() {
                return "synthetic";
            }
        };
    }
}
