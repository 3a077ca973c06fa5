package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.gguf.GgufWriter;
import io.lora4j.core.tokenizer.SpmBpeTrainer;
import io.lora4j.core.tokenizer.TokenizerModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The prepare job on real Spark (local mode) with a bad-input matrix, determinism across partitionings, and masking. */
class PrepareJobTest {
    @TempDir
    static Path tmp;
    static Path tokenizer;
    static SparkSession spark;

    @BeforeAll
    static void setUp() throws Exception {
        TokenizerModel m = SpmBpeTrainer.train(List.of("give three tips for staying healthy", "eat well and sleep", "the capital of france is paris"), 300);
        tokenizer = tmp.resolve("vocab.gguf");
        new GgufWriter().put("general.architecture", GgufValue.string("llama"))
                .put("tokenizer.ggml.model", GgufValue.string("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.stringArray(m.tokens()))
                .put("tokenizer.ggml.scores", GgufValue.float32Array(m.scores()))
                .put("tokenizer.ggml.token_type", GgufValue.int32Array(m.tokenTypes()))
                .write(tokenizer);
        spark = PrepareJob.localSession("local[2]");
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) spark.stop();
    }

    static PrepareConfig config(String uri, double val) {
        return new PrepareConfig(List.of(new PrepareConfig.Source(uri, "auto", null)), "alpaca", 256, false, val, false, true, 42);
    }

    static Path inputs() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("in-" + System.nanoTime()));
        Files.writeString(dir.resolve("good.json"), "[{\"instruction\": \"Give three tips\", \"input\": \"\", \"output\": \"Eat well and sleep.\"},"
                + "{\"instruction\": \"Capital of France?\", \"input\": \"\", \"output\": \"Paris.\"}]");
        List<String> lines = List.of(
                "{\"instruction\": \"Say hi\", \"output\": \"hi\"}",
                "{\"instruction\": \"Say hi\", \"output\": \"hi\"}",                     // duplicate
                "{\"instruction\": \"Say  hi \", \"output\": \"hi\"}",                    // duplicate after whitespace normalization
                "{\"instruction\": \"broken\", \"output\": ",                              // malformed JSON
                "{\"output\": \"no instruction\"}",                                       // missing instruction
                "{\"instruction\": \"no output\"}",                                       // missing output
                "{\"instruction\": 42, \"output\": \"x\"}",                               // non-string field
                "{\"instruction\": \"empty\", \"output\": \"  \"}",                        // empty response
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"hello\"}, {\"from\": \"gpt\", \"value\": \"hi there\"}]}");
        Files.write(dir.resolve("mixed.jsonl"), String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
        byte[] badUtf8 = "{\"instruction\": \"bad \u00ff\", \"output\": \"x\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(dir.resolve("latin1.jsonl"), badUtf8);
        Files.writeString(dir.resolve("empty.json"), "");
        Files.writeString(dir.resolve("notes.txt"), "this is not JSON at all\nneither is this\n");
        return dir;
    }

    @Test
    void badInputIsRejectedWithReasonsAndTheCountsAddUp() throws Exception {
        Path out = tmp.resolve("out-bad");
        PrepareSummary s = PrepareJob.run(spark, config(inputs().toString(), 0), tokenizer.toString(), out.toString(), System.out);
        assertEquals(s.read(), s.kept() + s.rejected() + s.duplicates(), s.format());
        assertEquals(4, s.kept(), s.format());          // 2 from the array, "Say hi", the ShareGPT conversation
        assertEquals(2, s.duplicates(), s.format());
        assertEquals(9, s.rejected(), s.format());      // malformed, 2 missing fields, non-string, empty, invalid UTF-8, empty file, 2 non-JSON lines
        List<JsonNode> rejects = new ArrayList<>();
        try (Stream<Path> files = Files.list(out.resolve("rejects"))) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
                for (String l : Files.readAllLines(f)) rejects.add(new ObjectMapper().readTree(l));
            }
        }
        assertEquals(9, rejects.size());
        String all = rejects.toString();
        for (String reason : new String[] {"malformed JSON", "missing field 'instruction'", "missing field 'output'", "expected a string", "empty response",
                "invalid UTF-8", "empty file"}) {
            assertTrue(all.contains(reason), "rejects name '" + reason + "': " + all);
        }
        assertTrue(all.contains("mixed.jsonl:4"), "rejects carry file and line: " + all);
        assertTrue(Files.exists(out.resolve("manifest.pb")) && Files.exists(out.resolve("manifest.json")));
        assertEquals(4, PreparedDataset.read(spark, out.toString()).train().size());
    }

    @Test
    void missingInputFailsBeforeSparkWork() {
        var e = assertThrows(java.io.IOException.class, () -> PrepareJob.validate(config(tmp.resolve("nope/*.json").toString(), 0), tokenizer.toString()));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        var t = assertThrows(java.io.IOException.class, () -> PrepareJob.validate(config(tmp.toString(), 0), tmp.resolve("missing.model").toString()));
        assertTrue(t.getMessage().contains("missing.model"), t.getMessage());
    }

    @Test
    void resultDoesNotDependOnPartitioningAndMasksThePrompt() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("many"));
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 300; i++) b.append("{\"instruction\": \"Item ").append(i).append("\", \"output\": \"answer ").append(i % 37).append("\"}\n");
        Files.writeString(in.resolve("a.jsonl"), b);
        Files.writeString(in.resolve("b.jsonl"), b.toString().replace("Item", "Thing"));
        PrepareSummary s2 = PrepareJob.run(spark, config(in.toString(), 0.1), tokenizer.toString(), tmp.resolve("p2").toString(), System.out);
        var two = PreparedDataset.read(spark, tmp.resolve("p2").toString());
        spark.stop();
        spark = PrepareJob.localSession("local[1]");
        PrepareJob.run(spark, config(in.toString(), 0.1), tokenizer.toString(), tmp.resolve("p1").toString(), System.out);
        var one = PreparedDataset.read(spark, tmp.resolve("p1").toString());
        assertEquals(600, s2.read());
        assertTrue(two.val().size() > 30 && two.val().size() < 100, "about 10% validation: " + two.val().size());
        assertEquals(two.train().size(), one.train().size());
        for (int i = 0; i < one.train().size(); i++) {
            assertEquals(one.train().get(i).source(), two.train().get(i).source(), "same order");
            assertArrayEquals(one.train().get(i).inputIds(), two.train().get(i).inputIds());
            assertArrayEquals(one.train().get(i).labels(), two.train().get(i).labels());
        }
        for (PreparedDataset.Example e : one.train()) {
            assertEquals(-100, e.labels()[0], "BOS is masked");
            assertEquals(2, e.labels()[e.labels().length - 1], "EOS is trained");
            long masked = java.util.Arrays.stream(e.labels()).filter(l -> l == -100).count();
            assertTrue(masked > e.labels().length / 2, "the prompt is masked");
        }
    }
}
