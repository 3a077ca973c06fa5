package io.lora4j.trainer.bench;

import io.lora4j.core.ggml.Float16;
import io.lora4j.core.ggml.GgmlQuantizer;
import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.gguf.GgufWriter;
import io.lora4j.core.model.BaseDtype;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.BlockWeight;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.WeightScratch;
import io.lora4j.core.tokenizer.TokenizerModel;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraConfig;
import io.lora4j.trainer.GradientAccumulator;
import io.lora4j.trainer.data.MicroBatch;
import io.lora4j.trainer.optim.AdamW8bit;
import io.lora4j.trainer.optim.AdamWSettings;
import io.lora4j.trainer.params.LoraParameters;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The pieces of {@code bench memory}: a synthetic model of LLaMA-2-7B's layer shape (n_embd 4096, n_ff 11008, 32 heads,
 * vocab 32000, any number of layers) written straight into a GGUF in a storage type (F32, BF16, Q8_0, Q4_0) without
 * ever holding a whole tensor, and one LoRA training step on it in a fresh JVM that reports the process's peak
 * resident memory (VmHWM: heap, ND4J's off-heap arrays and workspaces, and the mapped weight pages it touched). The
 * export column comes from the export module (trainer does not depend on it) through {@link Exporter}.
 *
 * <pre>
 * MemoryBenchmark write DIR TYPE LAYERS        → DIR/llama7b-shape-TYPE-LLAYERS.gguf
 * MemoryBenchmark step MODEL BASE_DTYPE T RECOMPUTE   (run in its own JVM; prints one "memory:" line)
 * </pre>
 */
public final class MemoryBenchmark {
    /** LLaMA-2-7B's shape. */
    public static final int DIM = 4096, FF = 11008, HEADS = 32, VOCAB = 32000, CONTEXT = 4096;
    private static final int ROWS_PER_WRITE = 64;

    private MemoryBenchmark() {}

    /** Where {@link #write} puts the model of this type and depth. */
    public static Path modelPath(Path dir, GgmlType type, int layers) {
        return dir.resolve("llama7b-shape-" + type.name().toLowerCase() + "-l" + layers + ".gguf");
    }

    /**
     * The model of this type and depth in {@code dir}: reused when a complete one is there (it is renamed into place
     * only once written) with the vocabulary the export needs (earlier versions wrote none), else written.
     */
    public static Path ensure(Path dir, GgmlType type, int layers) throws IOException {
        Path p = modelPath(dir, type, layers);
        if (Files.exists(p)) {
            try (io.lora4j.core.gguf.GgufFile f = io.lora4j.core.gguf.GgufFile.open(p)) {
                if (f.metadata().contains("tokenizer.ggml.model")) return p;
            } catch (IOException | RuntimeException e) {
                // unreadable: written again below
            }
        }
        return write(dir, type, layers);
    }

    /**
     * Writes a synthetic model of 7B layer shape with {@code layers} blocks, every matrix stored as {@code type}, with a
     * synthetic 32000-piece SentencePiece vocabulary (so the file can be exported like a real base).
     */
    public static Path write(Path dir, GgmlType type, int layers) throws IOException {
        if (type != GgmlType.F32 && type != GgmlType.BF16 && type != GgmlType.F16 && !GgmlQuantizer.supports(type)) {
            throw new IllegalArgumentException("storage type " + type + ": expected F32, F16, BF16, Q8_0 or Q4_0");
        }
        Files.createDirectories(dir);
        Path out = modelPath(dir, type, layers);
        Path partial = out.resolveSibling(out.getFileName() + ".partial");
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.string("llama"));
        w.put("general.name", GgufValue.string("synthetic LLaMA-2-7B shape, " + layers + " layer(s), " + type));
        w.put("llama.embedding_length", GgufValue.uint32(DIM));
        w.put("llama.feed_forward_length", GgufValue.uint32(FF));
        w.put("llama.block_count", GgufValue.uint32(layers));
        w.put("llama.attention.head_count", GgufValue.uint32(HEADS));
        w.put("llama.attention.head_count_kv", GgufValue.uint32(HEADS));
        w.put("llama.context_length", GgufValue.uint32(CONTEXT));
        w.put("llama.attention.layer_norm_rms_epsilon", GgufValue.float32(1e-5f));
        putVocabulary(w);
        long seed = 1;
        matrix(w, "token_embd.weight", VOCAB, DIM, type, seed++, 0.02f);
        w.addTensor("output_norm.weight", new long[] {DIM}, ones(DIM));
        matrix(w, "output.weight", VOCAB, DIM, type, seed++, 0.02f);
        for (int l = 0; l < layers; l++) {
            w.addTensor("blk." + l + ".attn_norm.weight", new long[] {DIM}, ones(DIM));
            w.addTensor("blk." + l + ".ffn_norm.weight", new long[] {DIM}, ones(DIM));
            for (Projection p : Projection.values()) {
                int rows = p == Projection.GATE || p == Projection.UP ? FF : DIM, cols = p == Projection.DOWN ? FF : DIM;
                matrix(w, p.ggufWeightName(l), rows, cols, type, seed++, (float) (1 / Math.sqrt(cols)));
            }
        }
        w.write(partial);
        Files.move(partial, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return out;
    }

    /** LLaMA's layout of a SentencePiece vocabulary: unk, bos, eos, the 256 byte pieces, then made-up word pieces. */
    static void putVocabulary(GgufWriter w) {
        String[] tokens = new String[VOCAB];
        float[] scores = new float[VOCAB];
        int[] types = new int[VOCAB];
        tokens[0] = "<unk>";
        tokens[1] = "<s>";
        tokens[2] = "</s>";
        types[0] = TokenizerModel.UNKNOWN;
        types[1] = types[2] = TokenizerModel.CONTROL;
        for (int i = 3; i < VOCAB; i++) {
            boolean bytePiece = i < 3 + 256;
            tokens[i] = bytePiece ? String.format("<0x%02X>", i - 3) : "\u2581w" + i;
            types[i] = bytePiece ? TokenizerModel.BYTE : TokenizerModel.NORMAL;
            scores[i] = bytePiece ? 0 : -i;
        }
        w.put("tokenizer.ggml.model", GgufValue.string("llama"));
        w.put("tokenizer.ggml.tokens", GgufValue.stringArray(tokens));
        w.put("tokenizer.ggml.scores", GgufValue.float32Array(scores));
        w.put("tokenizer.ggml.token_type", GgufValue.int32Array(types));
        w.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(1));
        w.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(2));
        w.put("tokenizer.ggml.unknown_token_id", GgufValue.uint32(0));
    }

    /** Bytes of the matrices of the model {@link #write} makes (its file is this plus the norms and metadata). */
    public static long matrixBytes(GgmlType type, int layers) {
        long perLayer = 4 * type.rowBytes(DIM) * DIM + 2 * type.rowBytes(DIM) * FF + type.rowBytes(FF) * DIM; // q, k, v, o; gate, up; down
        return 2 * type.rowBytes(DIM) * VOCAB + layers * perLayer;
    }

    /** Memory kept free beside the base for the step's heap, activations, expansion scratch and the OS. */
    static final long STEP_RESERVE_BYTES = 3L << 30;

    /**
     * Why this type is not measured on this machine, or null when it is: the step touches every base page, so a base
     * that does not fit in RAM (with {@link #STEP_RESERVE_BYTES} beside it) would measure swapping or be killed; and the
     * model file has to fit on the disk.
     */
    public static String skipReason(GgmlType type, long baseBytes, long ramBytes, long freeDiskBytes) {
        if (ramBytes > 0 && baseBytes + STEP_RESERVE_BYTES > ramBytes) {
            return String.format("skipped: %s base of %.1f GiB does not fit in %.1f GiB of RAM", type, baseBytes / GIB, ramBytes / GIB);
        }
        if (freeDiskBytes >= 0 && baseBytes > freeDiskBytes) {
            return String.format("skipped: %s base of %.1f GiB does not fit in the %.1f GiB free on the disk", type, baseBytes / GIB, freeDiskBytes / GIB);
        }
        return null;
    }

    private static final double GIB = 1L << 30;

    /** MemTotal from /proc/meminfo in bytes; -1 where unknown. */
    static long ramBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    /** Uniform values in ±scale·√3 (std scale), generated and converted a few rows at a time while the file is written. */
    private static void matrix(GgufWriter w, String name, int rows, int cols, GgmlType type, long seed, float scale) {
        long rowBytes = type.rowBytes(cols);
        w.addTensorStream(name, new long[] {cols, rows}, type, ch -> {
            SplittableRandom r = new SplittableRandom(seed);
            float[] v = new float[ROWS_PER_WRITE * cols];
            byte[] bytes = new byte[(int) (ROWS_PER_WRITE * rowBytes)];
            float a = (float) (scale * Math.sqrt(3));
            for (int r0 = 0; r0 < rows; r0 += ROWS_PER_WRITE) {
                int n = Math.min(ROWS_PER_WRITE, rows - r0);
                for (int i = 0; i < n * cols; i++) v[i] = (float) ((2 * r.nextDouble() - 1) * a);
                ByteBuffer b = encode(v, n * cols, type, bytes);
                while (b.hasRemaining()) ch.write(b);
            }
        });
    }

    private static ByteBuffer encode(float[] v, int n, GgmlType type, byte[] out) {
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> { for (int i = 0; i < n; i++) b.putFloat(v[i]); }
            case F16 -> { for (int i = 0; i < n; i++) b.putShort(Float16.floatToHalf(v[i])); }
            case BF16 -> { for (int i = 0; i < n; i++) b.putShort(Float16.floatToBf16(v[i])); }
            default -> {
                GgmlQuantizer.quantize(type, v, 0, n, out, 0);
                b.position((int) (n / type.blockSize * type.typeSize));
            }
        }
        return b.flip();
    }

    /** What one step measured. */
    public record StepResult(String model, BaseDtype baseDtype, int tokens, boolean recompute, double loss, long storedBytes, long loadPeakRssBytes,
                             long rssAfterLoadBytes, long stepPeakRssBytes, long offHeapPeakBytes, long stepWorkspaceBytes, long layerWorkspaceBytes,
                             long scratchBytes, double seconds, double expansionSeconds, double gemmPeakGflops, double stepGflop) {
        public String line() {
            return String.format("memory: %s base_dtype=%s T=%d recompute=%s loss=%.4f stored_matrices=%.0f MiB load_peak_rss=%.0f MiB"
                            + " rss_after_load=%.0f MiB step_peak_rss=%.0f MiB offheap_peak=%.0f MiB step_workspace=%.0f MiB block_workspace=%.0f MiB"
                            + " expansion_scratch=%.0f MiB step=%.2f s expansion=%.2f s tokens_per_s=%.1f gemm_peak=%.1f GFLOP/s fraction_of_peak=%.3f",
                    model, baseDtype.key(), tokens, recompute, loss, storedBytes / MIB, loadPeakRssBytes / MIB, rssAfterLoadBytes / MIB,
                    stepPeakRssBytes / MIB, offHeapPeakBytes / MIB, stepWorkspaceBytes / MIB, layerWorkspaceBytes / MIB, scratchBytes / MIB, seconds, expansionSeconds,
                    tokens / seconds, gemmPeakGflops, stepGflop / seconds / gemmPeakGflops);
        }
    }

    private static final double MIB = 1048576.0;

    /** The size a workspace of this thread grew to (its high-water mark of bump-allocated activations); 0 when absent. */
    static long workspaceBytes(String id) {
        if (!Nd4j.getWorkspaceManager().checkIfWorkspaceExists(id)) return 0;
        MemoryWorkspace w = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(id);
        return Math.max(w.getCurrentSize(), w.getMaxCycleAllocations());
    }

    /**
     * Loads the model and runs two LoRA steps (r 16 on all seven projections, one sequence of {@code T} tokens) in this
     * JVM; the second is timed (the steady state of a training run), the peak covers both.
     */
    public static StepResult stepInThisJvm(Path model, BaseDtype dtype, int T, boolean recompute) throws IOException {
        BaseModel base = ModelLoader.load(model, dtype, Optional.empty());
        LlamaConfig c = base.config();
        LlamaModel m = new LlamaModel(c, base.weights());
        LoraAdapter adapter = LoraAdapter.create(c, new LoraConfig(RANK, 2f * RANK, 0.05f, EnumSet.allOf(Projection.class), false), 1); // the setting: r 16 on all seven
        LoraParameters params = new LoraParameters(m, adapter);
        AdamW8bit opt = new AdamW8bit(params, AdamWSettings.defaults()); // train.optimizer's default (8-bit state: 2 bytes per LoRA parameter)
        SplittableRandom r = new SplittableRandom(7);
        int[][] tokens = new int[1][T];
        for (int t = 0; t < T; t++) tokens[0][t] = r.nextInt(c.vocabSize());
        MicroBatch mb = new MicroBatch(tokens, new int[][] {tokens[0].clone()}, T - 1, T);
        System.gc();
        long loadPeak = status("VmHWM:"), afterLoad = status("VmRSS:");
        resetPeakRss(); // the step's peak from here (VmHWM is otherwise set by loading)
        RssSampler sampler = new RssSampler();
        // One untimed step first: the first touch of a mapped base's pages (page faults, ~1.4 s for a 4-layer Q4_0
        // file), the JIT and the workspaces' first allocation are paid once per process, not per step; the
        // peak RSS covers both steps.
        GradientAccumulator.accumulate(params, List.of(mb), T - 1, 1, 0, 1, recompute);
        opt.step(1e-4);
        long t0 = System.nanoTime();
        double expansion0 = WeightScratch.expansionSeconds();
        GradientAccumulator.Totals totals = GradientAccumulator.accumulate(params, List.of(mb), T - 1, 1, 0, 1, recompute);
        opt.step(1e-4);
        double seconds = (System.nanoTime() - t0) / 1e9, expansion = WeightScratch.expansionSeconds() - expansion0;
        long stepPeak = Math.max(sampler.stop(), status("VmHWM:"));
        long ws = workspaceBytes("lora4j-train"), layerWs = workspaceBytes("lora4j-layer") + workspaceBytes("lora4j-part"), scratch = WeightScratch.elements() * 4;
        // after the step, so its arrays are not in the step's peak: the same gemm peak and FLOP count as bench train
        double flop = (TrainBenchmark.trainingFlops(c, 1, T, RANK) + (recompute ? TrainBenchmark.forwardFlops(c, 1, T, RANK) : 0)) / 1e9;
        double gemmPeak = TrainBenchmark.gemmPeak(c, T);
        return new StepResult(model.getFileName().toString(), dtype, T, recompute, totals.lossSum() / totals.tokens(), base.weights().storedMatrixBytes(),
                loadPeak, afterLoad, stepPeak, sampler.offHeapMax(), ws, layerWs, scratch, seconds, expansion, gemmPeak, flop);
    }

    /** The LoRA rank (on all seven projections). */
    static final int RANK = 16;

    /** VmHWM (peak) or VmRSS (now) of this process from /proc/self/status (Linux), in bytes; -1 elsewhere. */
    public static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Samples VmRSS every 10 ms (the kernel updates VmHWM lazily: a peak freed before the next sync can be missed), and
     * the resident memory outside the Java heap and the mapped model: anonymous RSS minus the committed heap, i.e. ND4J's
     * arrays and workspaces plus the JVM's own native memory. (ND4J 1.0.0-M2.1 on the CPU allocates in libnd4j and
     * counts neither detached arrays in AllocationsTracker nor anything in JavaCPP's Pointer.totalBytes.)
     */
    private static final class RssSampler {
        private volatile boolean running = true;
        private volatile long max, offHeapMax;
        private final Thread thread = new Thread(() -> {
            while (running) {
                max = Math.max(max, status("VmRSS:"));
                offHeapMax = Math.max(offHeapMax, status("RssAnon:") - Runtime.getRuntime().totalMemory());
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");

        RssSampler() {
            thread.setDaemon(true);
            thread.start();
        }

        long offHeapMax() {
            return offHeapMax;
        }

        long stop() throws IOException {
            running = false;
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return max;
        }
    }

    /** Resets VmHWM to the current RSS (Linux 4.0+: "5" to /proc/self/clear_refs); ignored where that is not possible. */
    static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | UnsupportedOperationException e) {
            // the step's peak then includes loading
        }
    }

    /** Runs {@link #stepInThisJvm} in a fresh JVM (this one's classpath, the given heap limit) so VmHWM is that step's alone. */
    public static String stepInOwnJvm(Path model, BaseDtype dtype, int T, boolean recompute, String xmx, PrintStream log) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + xmx));
        // the module flags this JVM runs with (bin/lora4j's opens for ND4J and Spark) and its expander choice, without its memory settings
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("-XX:+IgnoreUnrecognized") || a.startsWith("-Dorg.bytedeco") || a.startsWith("-D" + BlockWeight.EXPAND_PROPERTY + "=")) cmd.add(a);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MemoryBenchmark.class.getName(), "step", model.toString(), dtype.key(),
                Integer.toString(T), Boolean.toString(recompute)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String result = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("memory:")) result = line;
                else if (log != null) log.println(line);
            }
        }
        int rc = p.waitFor();
        if (rc != 0 || result == null) throw new IOException("the step JVM exited with " + rc + " without a result: " + String.join(" ", cmd));
        return result;
    }

    /** What the export of one model measured: its JVM's peak RSS and the seconds it took for the model's bytes. */
    public record ExportResult(long peakRssBytes, double seconds, long inputBytes) {
        double mbPerSecond() {
            return inputBytes / 1e6 / seconds;
        }
    }

    /** Exports a model (in its own JVM): {@code bench memory}'s export column; the export module supplies it. */
    @FunctionalInterface
    public interface Exporter {
        ExportResult export(Path model) throws Exception;
    }

    /** One row of the table: a step's "memory:" line and the export's result (null: not run), or why the type was skipped. */
    public record Row(GgmlType type, int layers, String stepLine, ExportResult export, String note) {}

    public static final String HEADER = "| base | layers | train peak RSS MiB | step s | export peak RSS MiB | off-heap peak MiB | tokens/s"
            + " | fraction of gemm peak | export MB/s | stored matrices MiB | RSS after load MiB | block workspaces MiB | expansion scratch MiB | expansion s | loss | note |";
    private static final int COLUMNS = 16;

    /** The Markdown header and alignment lines. */
    public static String header() {
        return HEADER + "\n|---" + "|--:".repeat(COLUMNS - 2) + "|---|";
    }

    /** One Markdown row; cells that were not measured are "-". */
    public static String format(Row r) {
        List<String> c = new ArrayList<>(List.of(r.type().name(), Integer.toString(r.layers())));
        String line = r.stepLine();
        ExportResult e = r.export();
        c.add(line == null ? "-" : String.format("%.0f", Math.max(field(line, "load_peak_rss"), field(line, "step_peak_rss"))));
        c.add(cell(line, "step", "%.1f"));
        c.add(e == null ? "-" : String.format("%.0f", e.peakRssBytes() / MIB));
        c.add(cell(line, "offheap_peak", "%.0f"));
        c.add(cell(line, "tokens_per_s", "%.1f"));
        c.add(cell(line, "fraction_of_peak", "%.3f"));
        c.add(e == null ? "-" : String.format("%.1f", e.mbPerSecond()));
        c.add(cell(line, "stored_matrices", "%.0f"));
        c.add(cell(line, "rss_after_load", "%.0f"));
        c.add(cell(line, "block_workspace", "%.0f"));
        c.add(cell(line, "expansion_scratch", "%.0f"));
        c.add(cell(line, "expansion", "%.2f"));
        c.add(cell(line, "loss", "%.4f"));
        c.add(r.note() == null ? "" : r.note().replace('|', '/').replace('\n', ' '));
        return "| " + String.join(" | ", c) + " |";
    }

    private static String cell(String line, String key, String fmt) {
        double v = line == null ? Double.NaN : field(line, key);
        return Double.isNaN(v) ? "-" : String.format(fmt, v);
    }

    /**
     * {@code lora4j bench memory}: for each storage type, a synthetic LLaMA-2-7B-shaped model written in that type
     * (reused when {@code dir} has it), an untimed then a timed LoRA step (seq 512, micro-batch 1, r 16 on all seven projections,
     * recompute) in its own JVM, then the export of that model with an adapter (by {@code exporter}, null to leave it
     * out); one Markdown row per type. Peak RSS is that JVM's VmHWM. A type whose base does not fit gets a row saying
     * so; a step or export that fails gets a row with the failure, and the next type still runs.
     */
    public static void run(Path dir, List<GgmlType> types, int layers, String xmx, Exporter exporter, PrintStream out) throws Exception {
        Files.createDirectories(dir);
        out.println(header());
        for (GgmlType t : types) {
            Path existing = modelPath(dir, t, layers);
            long free = Files.exists(existing) ? Long.MAX_VALUE : Files.getFileStore(dir).getUsableSpace();
            String skip = skipReason(t, matrixBytes(t, layers), ramBytes(), free);
            if (skip != null) {
                out.println(format(new Row(t, layers, null, null, skip)));
                continue;
            }
            String line = null;
            ExportResult export = null;
            String note = null;
            try {
                Path model = ensure(dir, t, layers);
                line = stepInOwnJvm(model, BaseDtype.AUTO, 512, true, xmx, null);
                if (exporter != null) export = exporter.export(model);
            } catch (Exception e) {
                String m = e.getMessage() == null ? e.toString() : e.getMessage();
                note = "failed: " + m.lines().findFirst().orElse(m);
            }
            out.println(format(new Row(t, layers, line, export, note)));
        }
    }

    /** The value after {@code key=} in a "memory:" line; NaN when absent. */
    static double field(String line, String key) {
        var m = java.util.regex.Pattern.compile("\\b" + key + "=([0-9.]+)").matcher(line);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 4 && args[0].equals("write")) {
            System.out.println(write(Path.of(args[1]), GgmlType.valueOf(args[2].toUpperCase()), Integer.parseInt(args[3])));
        } else if (args.length >= 5 && args[0].equals("step")) {
            BaseDtype d = BaseDtype.valueOf(args[2].toUpperCase());
            System.out.println(stepInThisJvm(Path.of(args[1]), d, Integer.parseInt(args[3]), Boolean.parseBoolean(args[4])).line());
        } else {
            System.err.println("usage: MemoryBenchmark write DIR F32|BF16|Q8_0|Q4_0 LAYERS | step MODEL auto|f32|bf16|f16|q8_0|q4_0 T RECOMPUTE");
            System.exit(2);
        }
    }
}
