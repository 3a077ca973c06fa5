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

    /**
     * {@code TokenizerBenchmark TOKENIZER ALPACA.json...}; without arguments the shared LLaMA-2 vocabulary and Alpaca
     * files. With several tokenizers joined by commas, {@link #compare} runs them in turns.
     */
    public static void main(String[] args) throws IOException {
        if (args.length > 1 && args[0].contains(",")) {
            List<Path> toks = new ArrayList<>(), files = new ArrayList<>();
            for (String t : args[0].split(",")) toks.add(Path.of(t));
            for (int i = 1; i < args.length; i++) files.add(Path.of(args[i]));
            compare(toks, files, 9, System.out);
            return;
        }
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

    /**
     * Several tokenizers side by side on the same texts (one row per file, e.g. per language): one pass of each in turn
     * for {@code rounds} rounds after a warm-up, so a busy machine slows them alike, timed by the thread's CPU time
     * (other processes on a shared machine count less than in wall time); prints the median MB/s of each.
     */
    public static void compare(List<Path> tokenizerPaths, List<Path> alpacaFiles, int rounds, PrintStream out) throws IOException {
        List<Tokenizer> toks = new ArrayList<>();
        for (Path p : tokenizerPaths) toks.add(Tokenizers.load(p));
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        boolean cpuTime = cpu.isCurrentThreadCpuTimeSupported();
        out.printf("1 thread, MB/s of UTF-8 input over %s, median of %d rounds with the tokenizers in turn:%n", cpuTime ? "the thread's CPU time" : "wall time", rounds);
        List<String> names = new ArrayList<>();
        for (int k = 0; k < toks.size(); k++) {
            Path p = tokenizerPaths.get(k);
            names.add(p.getNameCount() >= 3 ? p.subpath(p.getNameCount() - 3, p.getNameCount()).toString() : p.toString());
            out.println("  " + (char) ('A' + k) + " = " + names.get(k) + ": " + toks.get(k));
        }
        StringBuilder head = new StringBuilder("| file | MB (UTF-8) |"), rule = new StringBuilder("|---|---|");
        for (int k = 0; k < toks.size(); k++) {
            head.append(' ').append((char) ('A' + k)).append(" MB/s |");
            rule.append("---|");
        }
        for (int k = 0; k < toks.size(); k++) {
            head.append(' ').append((char) ('A' + k)).append(" tokens |");
            rule.append("---|");
        }
        out.println(head);
        out.println(rule);
        for (Path f : alpacaFiles) {
            List<String> texts = texts(f);
            long bytes = 0;
            for (String s : texts) bytes += s.getBytes(StandardCharsets.UTF_8).length;
            long[] tokens = new long[toks.size()];
            for (int k = 0; k < toks.size(); k++) for (String s : texts) tokens[k] += toks.get(k).encode(s, false).length;
            for (int w = 0; w < 3; w++) for (Tokenizer t : toks) for (String s : texts) t.encode(s, false);
            double[][] mbps = new double[toks.size()][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < toks.size(); k++) {
                    long t0 = cpuTime ? cpu.getCurrentThreadCpuTime() : System.nanoTime();
                    for (String s : texts) toks.get(k).encode(s, false);
                    long t1 = cpuTime ? cpu.getCurrentThreadCpuTime() : System.nanoTime();
                    mbps[k][r] = bytes / 1e6 / (Math.max(1, t1 - t0) / 1e9);
                }
            }
            StringBuilder row = new StringBuilder(String.format("| %s | %.2f |", f.getFileName(), bytes / 1e6));
            for (double[] m : mbps) {
                java.util.Arrays.sort(m);
                row.append(String.format(" %.2f |", m[m.length / 2]));
            }
            for (long t : tokens) row.append(' ').append(t).append(" |");
            out.println(row);
        }
    }

    private static List<String> texts(Path alpaca) throws IOException {
        List<String> texts = new ArrayList<>();
        for (JsonNode r : new ObjectMapper().readTree(alpaca.toFile())) {
            for (String field : new String[] {"instruction", "input", "output"}) {
                String s = r.path(field).asText("");
                if (!s.isEmpty()) texts.add(s);
            }
        }
        return texts;
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
