package io.lora4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.data.ExampleEncoder;
import io.lora4j.core.data.PromptTemplate;
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
 * {@code n} records (made unique so dedup keeps them) with local[1] and local[2], beside a plain single-thread loop
 * (parse, template, tokenize, mask; no Spark, no output) over the same JSON Lines. Session start-up is timed apart;
 * the loop and each session are warmed up on 5,000 records first (the JIT), untimed.
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
        run(Path.of(args[0]), files, Integer.parseInt(args[1]), Files.createTempDirectory("lora4j-bench-prepare"), System.out);
    }

    public static void run(Path tokenizer, List<Path> alpaca, int n, Path work, PrintStream out) throws Exception {
        Files.createDirectories(work);
        Path input = work.resolve("input.jsonl");
        replicate(alpaca, n, input);
        PrepareConfig cfg = new PrepareConfig(List.of(new PrepareConfig.Source(input.toString(), "alpaca", null)), "alpaca", 512, false, 0.05, false, true, 1);
        Tokenizer tok = TokenizerCache.get(tokenizer.toString());
        List<String> lines = Files.readAllLines(input, StandardCharsets.UTF_8);
        List<String> warmLines = lines.subList(0, Math.min(lines.size(), 5000));
        plainLoop(tok, cfg, warmLines); // JIT warm-up, not timed
        Path warmInput = Files.write(work.resolve("warm-up.jsonl"), warmLines, StandardCharsets.UTF_8);
        PrepareConfig warmCfg = new PrepareConfig(List.of(new PrepareConfig.Source(warmInput.toString(), "alpaca", null)), "alpaca", 512, false, 0.05, false, true, 1);
        long t0 = System.nanoTime(), c0 = cpuNanos();
        long[] plainCounts = plainLoop(tok, cfg, lines);
        long tokens = plainCounts[1];
        double plain = (System.nanoTime() - t0) / 1e9, plainCpu = (cpuNanos() - c0) / 1e9;

        out.printf("lora4j bench prepare: %,d records (%,d tokens), tokenizer %s, %d cores%n", n, tokens, tokenizer.getFileName(),
                Runtime.getRuntime().availableProcessors());
        out.println("| run | seconds | records/s | tokens/s | time vs plain loop | speed-up vs local[1] | process CPU s | CPU/wall |");
        out.println("|---|--:|--:|--:|--:|--:|--:|--:|");
        out.printf("| plain single-thread loop (no Spark) | %.2f | %,.0f | %,.0f | 1.00 | – | %.1f | %.2f |%n", plain, n / plain, tokens / plain, plainCpu,
                plainCpu / plain);
        double one = 0;
        List<String> breakdown = new ArrayList<>();
        for (String master : System.getProperty("lora4j.bench.masters", "local[1],local[2]").split(",")) {
            long s0 = System.nanoTime();
            SparkSession spark = PrepareJob.localSession(master);
            double start = (System.nanoTime() - s0) / 1e9;
            try {
                // the first job in a JVM compiles Spark's and Parquet's code paths: warm up on 5,000 records, not timed
                PrepareJob.run(spark, warmCfg, tokenizer.toString(), work.resolve("warm-" + master.replaceAll("\\W", "")).toString(),
                        new PrintStream(OutputStream.nullOutputStream()));
                SparkProgress stages = SparkProgress.attach(spark.sparkContext(), null, false);
                long j0 = System.nanoTime(), jc0 = cpuNanos();
                PrepareSummary s = PrepareJob.run(spark, cfg, tokenizer.toString(), work.resolve("out-" + master.replaceAll("\\W", "")).toString(),
                        new PrintStream(OutputStream.nullOutputStream()));
                double sec = (System.nanoTime() - j0) / 1e9, cpu = (cpuNanos() - jc0) / 1e9;
                stages.close();
                StringBuilder b = new StringBuilder();
                double inStages = 0;
                for (SparkProgress.Stage st : stages.finished()) {
                    b.append(String.format("%s %.2f s, task CPU %.2f s (%d tasks, %,d rec); ", st.name, st.seconds(), st.cpuSeconds(), st.tasks, st.records()));
                    inStages += st.seconds();
                }
                breakdown.add(String.format("%s stages: %sdriver between stages %.2f s", master, b, sec - inStages));
                if (s.kept() != plainCounts[0] || s.trainTokens() + s.valTokens() != tokens) {
                    throw new IllegalStateException(master + " kept " + s.kept() + " records, " + (s.trainTokens() + s.valTokens()) + " tokens; the plain loop "
                            + plainCounts[0] + ", " + tokens);
                }
                if (one == 0) one = sec;
                out.printf("| prepare %s (session start %.1f s apart) | %.2f | %,.0f | %,.0f | %.2f | %.2f× | %.1f | %.2f |%n", master, start, sec, n / sec,
                        tokens / sec, sec / plain, one / sec, cpu, cpu / sec);
            } finally {
                spark.stop();
            }
        }
        breakdown.forEach(out::println);
        out.println("goals: local[2] ≥ 1.6× local[1]; local[1] time ≤ 1.30 × plain loop (Spark overhead under 30%). "
                + "CPU/wall well under the thread count means other processes took the cores: compare in a quiet window.");
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

    /** What one executor does per record, in one thread: parse, template, tokenize, mask. Returns {kept, tokens}. */
    private static long[] plainLoop(Tokenizer tok, PrepareConfig cfg, List<String> lines) throws Exception {
        ExampleEncoder enc = new ExampleEncoder(tok, cfg.cutoffLen(), false, ExampleEncoder.Truncation.RESPONSE);
        long tokens = 0, kept = 0;
        for (String line : lines) {
            RecordParser.Parsed p = RecordParser.parse(RecordParser.JSON.readTree(line), "x", cfg.sources().get(0), PromptTemplate.ALPACA);
            if (p.record() == null) continue;
            ExampleEncoder.Result r = enc.encode(p.record());
            if (r.kept()) {
                kept++;
                tokens += r.inputIds().length;
            }
        }
        return new long[] {kept, tokens};
    }
}
