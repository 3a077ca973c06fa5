package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A missing input, a model without a tokenizer or a bad template fails before any Spark session starts, naming the culprit. */
class PrepareFailFastTest {
    @TempDir
    static Path tmp;
    static Path tokenizer, input;

    @BeforeAll
    static void setUp() throws Exception {
        tokenizer = TestTokenizer.write(tmp.resolve("vocab.gguf"), List.of("hello world"), 280);
        input = Files.writeString(tmp.resolve("ok.jsonl"), "{\"instruction\": \"a\", \"output\": \"b\"}\n");
    }

    static PrepareConfig config(String uri, String template) {
        return new PrepareConfig(List.of(new PrepareConfig.Source(uri, "auto", null)), template, 64, false, 0, false, true, 1);
    }

    private static void failsBeforeSpark(PrepareConfig cfg, String model, String... named) {
        Path out = tmp.resolve("out-" + System.nanoTime());
        IOException e = assertThrows(IOException.class, () -> PrepareJob.run(cfg, model, out.toString(), "local[1]"));
        for (String n : named) assertTrue(e.getMessage().contains(n), "names " + n + ": " + e.getMessage());
        assertTrue(SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty(), "no Spark session was started");
        assertFalse(Files.exists(out), "nothing was written");
    }

    @Test
    void missingInput() {
        failsBeforeSpark(config(tmp.resolve("nope/*.json").toString(), "alpaca"), tokenizer.toString(), "nope/*.json", "no such file");
        failsBeforeSpark(config(tmp.resolve("missing.jsonl").toString(), "alpaca"), tokenizer.toString(), "missing.jsonl");
        Path emptyDir = tmp.resolve("empty-dir");
        assertDoesNotThrow(() -> Files.createDirectories(emptyDir));
        failsBeforeSpark(config(emptyDir.toString(), "alpaca"), tokenizer.toString(), "empty-dir", "no files");
    }

    @Test
    void modelWithoutTokenizer() throws Exception {
        failsBeforeSpark(config(input.toString(), "alpaca"), tmp.resolve("no-model.gguf").toString(), "no-model.gguf", "no such file");
        Path dir = Files.createDirectories(tmp.resolve("hf-model"));
        Files.writeString(dir.resolve("config.json"), "{}");
        failsBeforeSpark(config(input.toString(), "alpaca"), dir.toString(), "hf-model", "no tokenizer");
        Path bare = tmp.resolve("weights-only.gguf");
        new GgufWriter().put("general.architecture", GgufValue.string("llama")).write(bare);
        failsBeforeSpark(config(input.toString(), "alpaca"), bare.toString(), "weights-only.gguf", "tokenizer");
        failsBeforeSpark(config(input.toString(), "alpaca"), tmp.resolve("stories.bin").toString(), "tokenizer.model");
    }

    @Test
    void unknownTemplate() {
        failsBeforeSpark(config(input.toString(), "vicuna_v9"), tokenizer.toString(), "vicuna_v9", "alpaca, alpaca_short");
    }
}
