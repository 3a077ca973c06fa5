package io.lora4j.core.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code lora4j bench tokenize}: single-thread encode throughput on Alpaca JSON files (instruction, input and output
 * of every record), after a warm-up pass, printed as MB/s and tokens/s beside the number of tokens produced.
 */
public final class TokenizerBenchmark {
    private TokenizerBenchmark() {}

    /** {@code TokenizerBenchmark TOKENIZER ALPACA.json...}; without arguments the shared LLaMA-2 vocabulary and Alpaca files. */
    public static void main(String[] args) throws IOException {
        Path data = Path.of("..", "shared", "data");
        Path tokenizer = args.length > 0 ? Path.of(args[0]) : data.resolve("tokenizers/llama2_tokenizer.model");
        List<Path> files = new ArrayList<>();
        for (int i = 1; i < args.length; i++) files.add(Path.of(args[i]));
        if (files.isEmpty()) {
            files.add(data.resolve("instructions/alpaca_cleaned_en_1000.json"));
            files.add(data.resolve("instructions/alpaca_zh_1000.json"));
        }
        run(tokenizer, files, System.out);
    }

    public static void run(Path tokenizerPath, List<Path> alpacaFiles, PrintStream out) throws IOException {
        Tokenizer tok = Tokenizers.load(tokenizerPath);
        out.println("tokenizer: " + tok + " (" + tokenizerPath.getFileName() + "), 1 thread");
        out.println("| file | records | MB (UTF-8) | tokens | MB/s | tokens/s |");
        out.println("|---|---|---|---|---|---|");
        for (Path f : alpacaFiles) {
            List<String> texts = new ArrayList<>();
            long bytes = 0;
            int records = 0;
            for (JsonNode r : new ObjectMapper().readTree(f.toFile())) {
                records++;
                for (String field : new String[] {"instruction", "input", "output"}) {
                    String s = r.path(field).asText("");
                    if (s.isEmpty()) continue;
                    texts.add(s);
                    bytes += s.getBytes(StandardCharsets.UTF_8).length;
                }
            }
            long tokens = 0;
            for (String s : texts) tokens += tok.encode(s, false).length;
            for (int w = 0; w < 3; w++) for (String s : texts) tok.encode(s, false); // warm-up (JIT)
            int rounds = 0;
            long t0 = System.nanoTime();
            while (System.nanoTime() - t0 < 3_000_000_000L || rounds < 3) { // at least 3 s and 3 rounds
                for (String s : texts) tok.encode(s, false);
                rounds++;
            }
            double sec = (System.nanoTime() - t0) / 1e9 / rounds;
            out.printf("| %s | %d | %.2f | %d | %.2f | %.0f |%n", f.getFileName(), records, bytes / 1e6, tokens, bytes / 1e6 / sec, tokens / sec);
        }
    }
}
