package io.lora4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.tokenizer.Tokenizer;
import java.io.BufferedWriter;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * {@code lora4j bench prepare}: records/s and tokens/s of the whole prepare job on the Alpaca files replicated to
 * {@code n} records (made unique so dedup keeps them) with local[1] and local[2], beside what a user would do without
 * Spark in one thread: read the same JSON Lines, parse, template, tokenize, mask (the baseline of the 30% overhead
 * goal), and the same loop also writing the examples to one Parquet file (the job writes Parquet too; it also hashes,
 * deduplicates, splits, orders and writes rejects). Session start-up is timed apart; the loops and each session are
 * warmed up on 5,000 records first (the JIT), untimed. Process CPU time is shown beside wall time: the machine may be
 * shared, and CPU/wall under the thread count means other processes took the cores.
 *
 * <p>{@code main(tokenizer, records, alpaca.json...)}.
 */
public final class PrepareBenchmark {
    private PrepareBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: PrepareBenchmark TOKENIZER RECORDS ALPACA.json [MORE.json ...]");
            System.exit(2);
        }
        List<Path> files = new ArrayList<>();
        for (int i = 2; i < args.length; i++) files.add(Path.of(args[i]));
        Path work = Files.createTempDirectory("lora4j-bench-prepare");
        try {
            run(Path.of(args[0]), files, Integer.parseInt(args[1]), work, System.out);
        } finally {
            deleteTree(work);
        }
    }

    /** One timed run: wall and process CPU seconds, the CPU of each thread, and the stages of a Spark run. */
    private record Timing(double wall, double cpu, java.util.Map<String, Long> threads, List<SparkProgress.Stage> stages) {}

    private interface Body {
        void run() throws Exception;
    }

    /** The fastest of {@code repeats} runs (the machine may be shared: the least disturbed one), after one untimed run. */
    private static Timing best(int repeats, Body body, org.apache.spark.SparkContext sc) throws Exception {
        body.run(); // full-size warm-up: the JIT compiles the hot paths (C2 took seconds of CPU inside a timed run after a 5,000-record warm-up)
        Timing best = null;
        for (int i = 0; i < repeats; i++) {
            SparkProgress stages = sc == null ? null : SparkProgress.attach(sc, null, false);
            java.util.Map<String, Long> th0 = threadCpu();
            long t0 = System.nanoTime(), c0 = cpuNanos();
            try {
                body.run();
            } finally {
                if (stages != null) stages.close();
            }
            double wall = (System.nanoTime() - t0) / 1e9, cpu = (cpuNanos() - c0) / 1e9;
            java.util.Map<String, Long> th = threadCpu();
            th0.forEach((k, v) -> th.merge(k, -v, Long::sum));
            if (best == null || wall < best.wall) best = new Timing(wall, cpu, th, stages == null ? List.of() : stages.finished());
        }
        return best;
    }

    public static void run(Path tokenizer, List<Path> alpaca, int n, Path work, PrintStream out) throws Exception {
        Files.createDirectories(work);
        Path input = work.resolve("input.jsonl");
        replicate(alpaca, n, input);
        int repeats = Integer.getInteger("lora4j.bench.repeats", 3);
        PrepareConfig cfg = new PrepareConfig(List.of(new PrepareConfig.Source(input.toString(), "alpaca", null)), "alpaca", 512, false, 0.05, false, true, 1);
        Tokenizer tok = TokenizerCache.get(tokenizer.toString());
        long[][] counts = new long[1][];
        Timing plain = best(repeats, () -> counts[0] = plainLoop(tok, cfg, input, null), null);
        Timing plainPq = best(repeats, () -> plainLoop(tok, cfg, input, work.resolve("plain.parquet")), null);
        long kept = counts[0][0], tokens = counts[0][1];

        out.printf("lora4j bench prepare: %,d records (%,d tokens), tokenizer %s, %d cores; best of %d runs each after a full-size warm-up run%n", n, tokens,
                tokenizer.getFileName(), Runtime.getRuntime().availableProcessors(), repeats);
        out.println("| run | seconds | records/s | tokens/s | time vs plain loop | time vs plain loop + Parquet | speed-up vs local[1] | process CPU s | CPU/wall |");
        out.println("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        out.printf("| plain single-thread loop: read, parse, template, tokenize, mask (no Spark) | %.2f | %,.0f | %,.0f | 1.00 | %.2f | – | %.1f | %.2f |%n", plain.wall,
                n / plain.wall, tokens / plain.wall, plain.wall / plainPq.wall, plain.cpu, plain.cpu / plain.wall);
        out.printf("| the same loop + one Parquet file of the examples (no dedup, split, order) | %.2f | %,.0f | %,.0f | %.2f | 1.00 | – | %.1f | %.2f |%n", plainPq.wall,
                n / plainPq.wall, tokens / plainPq.wall, plainPq.wall / plain.wall, plainPq.cpu, plainPq.cpu / plainPq.wall);
        double one = 0;
        List<String> breakdown = new ArrayList<>();
        boolean threads = Boolean.getBoolean("lora4j.bench.threads");
        for (String master : System.getProperty("lora4j.bench.masters", "local[1],local[2]").split(",")) {
            long s0 = System.nanoTime();
            SparkSession spark = PrepareJob.localSession(master);
            double start = (System.nanoTime() - s0) / 1e9;
            try {
                String outUri = work.resolve("out-" + master.replaceAll("\\W", "")).toString();
                PrepareSummary[] summary = new PrepareSummary[1];
                Timing t = best(repeats, () -> summary[0] = PrepareJob.run(spark, cfg, tokenizer.toString(), outUri, new PrintStream(OutputStream.nullOutputStream())),
                        spark.sparkContext());
                PrepareSummary s = summary[0];
                if (s.kept() != kept || s.trainTokens() + s.valTokens() != tokens) {
                    throw new IllegalStateException(master + " kept " + s.kept() + " records, " + (s.trainTokens() + s.valTokens()) + " tokens; the plain loop "
                            + kept + ", " + tokens);
                }
                if (one == 0) one = t.wall;
                out.printf("| prepare %s (session start %.1f s apart) | %.2f | %,.0f | %,.0f | %.2f | %.2f | %.2f× | %.1f | %.2f |%n", master, start, t.wall, n / t.wall,
                        tokens / t.wall, t.wall / plain.wall, t.wall / plainPq.wall, one / t.wall, t.cpu, t.cpu / t.wall);
                StringBuilder b = new StringBuilder();
                double inStages = 0;
                for (SparkProgress.Stage st : t.stages) {
                    b.append(String.format("%s %.2f s, task CPU %.2f s (%d tasks, %,d rec); ", st.name, st.seconds(), st.cpuSeconds(), st.tasks, st.records()));
                    inStages += st.seconds();
                }
                breakdown.add(String.format("%s stages: %sdriver alone %.2f s", master, b, t.wall - inStages));
                if (threads) breakdown.add(master + " CPU by thread: " + top(t.threads));
            } finally {
                spark.stop();
            }
        }
        if (threads) {
            breakdown.add("plain loop CPU by thread: " + top(plain.threads));
            breakdown.add("plain loop + Parquet CPU by thread: " + top(plainPq.threads));
        }
        breakdown.forEach(out::println);
        out.println("goals: local[2] ≥ 1.6× local[1]; local[1] time ≤ 1.30 × plain loop (Spark overhead under 30%). "
                + "CPU/wall well under the thread count means other processes took the cores: compare in a quiet window.");
    }

    private static String top(java.util.Map<String, Long> threads) {
        StringBuilder t = new StringBuilder();
        threads.entrySet().stream().filter(e -> e.getValue() >= 2).sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
                .forEach(e -> t.append(String.format("%s %.2f s; ", e.getKey(), e.getValue() / 100.0)));
        return t.toString();
    }

    /** Deletes a directory and everything under it (the benchmark's work directory). */
    public static void deleteTree(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) return;
        try (var all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** CPU ticks (1/100 s) by thread name, digits dropped (Linux /proc; empty elsewhere): JIT, GC and Spark threads too. */
    private static java.util.Map<String, Long> threadCpu() {
        java.util.Map<String, Long> m = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    m.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                } catch (Exception ignored) {
                    // the thread ended
                }
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return m;
    }

    /** CPU time of the whole process (all threads: Spark's, the JIT's and the GC's too). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** The Alpaca records repeated until there are {@code n}, each made unique by a counter in its instruction. */
    static void replicate(List<Path> alpaca, int n, Path to) throws Exception {
        int written = 0;
        try (BufferedWriter w = Files.newBufferedWriter(to, StandardCharsets.UTF_8)) {
            while (written < n) {
                for (Path f : alpaca) {
                    for (JsonNode r : RecordParser.JSON.readTree(f.toFile())) {
                        if (written >= n) break;
                        ObjectNode o = ((ObjectNode) r.deepCopy()).put("instruction", r.path("instruction").asText() + " (" + written + ")");
                        w.write(o.toString());
                        w.newLine();
                        written++;
                    }
                }
            }
        }
    }

    /**
     * What a user would do without Spark, in one thread: read the JSON Lines file, parse, template, tokenize, mask;
     * with {@code parquet}, also write the kept examples to that one file. Returns {kept, tokens}.
     */
    private static long[] plainLoop(Tokenizer tok, PrepareConfig cfg, Path input, Path parquet) throws Exception {
        ExampleEncoder enc = new ExampleEncoder(tok, cfg.cutoffLen(), false, ExampleEncoder.Truncation.RESPONSE);
        long tokens = 0, kept = 0, line = 0;
        String where = input.toString();
        ShardFiles.Shard file = parquet == null ? null : ShardFiles.parquet(parquet.getParent().toUri().toString(), parquet.getFileName().toString(), 0);
        try (var r = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
            for (String l; (l = r.readLine()) != null; ) {
                line++;
                RecordParser.Parsed p = RecordParser.parse(RecordParser.JSON.readTree(l), "x", cfg.sources().get(0), PromptTemplate.ALPACA);
                if (p.record() == null) continue;
                ExampleEncoder.Result res = enc.encode(p.record());
                if (res.kept()) {
                    kept++;
                    tokens += res.inputIds().length;
                    if (file != null) file.write(new Encoded(0, res.inputIds(), res.labels(), where + ":" + line, res.truncated(), null, null));
                }
            }
        } finally {
            if (file != null) file.close();
        }
        return new long[] {kept, tokens};
    }
}
