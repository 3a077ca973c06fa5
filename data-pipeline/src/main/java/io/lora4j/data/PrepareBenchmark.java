package io.lora4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.data.ExampleEncoder;
import io.lora4j.core.data.PromptTemplate;
import io.lora4j.core.tokenizer.Tokenizer;
import java.io.BufferedWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * {@code lora4j bench prepare}: records/s and tokens/s of the whole prepare job on the Alpaca files replicated to
 * {@code n} records (made unique so dedup keeps them) with local[1] and local[2], beside a plain single-thread loop
 * (parse, template, tokenize, mask) over the same records.
 */
public final class PrepareBenchmark {
    private PrepareBenchmark() {}

    public static void run(Path tokenizer, List<Path> alpaca, int n, Path work, PrintStream out) throws Exception {
        Files.createDirectories(work);
        Path input = work.resolve("input.jsonl");
        int written = 0;
        try (BufferedWriter w = Files.newBufferedWriter(input, StandardCharsets.UTF_8)) {
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
        Tokenizer tok = TokenizerCache.get(tokenizer.toString());
        // plain loop
        ExampleEncoder enc = new ExampleEncoder(tok, 512, false, ExampleEncoder.Truncation.RESPONSE);
        PrepareConfig cfg = new PrepareConfig(List.of(new PrepareConfig.Source(input.toString(), "alpaca", null)), "alpaca", 512, false, 0.05, false, true, 1);
        long t0 = System.nanoTime(), tokens = 0;
        for (String line : Files.readAllLines(input, StandardCharsets.UTF_8)) {
            RecordParser.Parsed p = RecordParser.parse(RecordParser.JSON.readTree(line), "x", cfg.sources().get(0), PromptTemplate.ALPACA);
            if (p.record() != null) {
                ExampleEncoder.Result r = enc.encode(p.record());
                if (r.kept()) tokens += r.inputIds().length;
            }
        }
        double plain = (System.nanoTime() - t0) / 1e9;
        out.printf("lora4j bench prepare — %,d records (%,d tokens), tokenizer %s%n", n, tokens, tokenizer.getFileName());
        out.println("| run | seconds | records/s | tokens/s | vs plain loop | vs local[1] |");
        out.println("|---|---|---|---|---|---|");
        out.printf("| plain single-thread loop | %.1f | %,.0f | %,.0f | 1.00 | – |%n", plain, n / plain, tokens / plain);
        double one = 0;
        for (String master : new String[] {"local[1]", "local[2]"}) {
            SparkSession spark = PrepareJob.localSession(master);
            try {
                long s0 = System.nanoTime();
                PrepareJob.run(spark, cfg, tokenizer.toString(), work.resolve("out-" + master.replaceAll("\\W", "")).toString(), new PrintStream(java.io.OutputStream.nullOutputStream()));
                double sec = (System.nanoTime() - s0) / 1e9;
                if (one == 0) one = sec;
                out.printf("| prepare %s | %.1f | %,.0f | %,.0f | %.2f | %.2f× |%n", master, sec, n / sec, tokens / sec, plain / sec, one / sec);
            } finally {
                spark.stop();
            }
        }
    }
}
