package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.model.TokenLines;
import io.lora4j.core.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The first commands, run in-process through the real command line. */
class CliSharedDataTest {

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Lora4j.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void greedyGenerationOfStories260kIsLlamaCpps() {
        Run r = run("generate", "--model", SharedData.file("models/stories260K.gguf").toString(), "--prompt", "Once upon a time", "--max-tokens", "60");
        assertEquals(0, r.code(), r.err());
        // llama.cpp (llama-simple) and llama2.c's run.c, greedy (shared/data/models/stories260K.md)
        assertTrue(r.out().startsWith("Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
                + "One day, she saw a big, red ball. She wanted to play with it, but it was too high."), r.out());
    }

    @Test
    void tokenizeAndDecode() {
        Run r = run("tokenize", "--model", SharedData.file("tokenizers/llama2_tokenizer.model").toString(), "--text", "Hello world");
        assertEquals("[1, 15043, 3186]", r.out().trim());
        Run d = run("tokenize", "--model", SharedData.file("tokenizers/llama2_tokenizer.model").toString(), "--decode", "1 15043 3186");
        assertEquals("Hello world", d.out().trim());
        Run noBos = run("tokenize", "--model", SharedData.file("models/stories260K.gguf").toString(), "--no-bos", "--text", "Once upon a time");
        assertEquals("[403, 407, 261, 378]", noBos.out().trim());
    }

    @Test
    void logitsFileHasOneRowPerToken(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out.f32");
        Run r = run("logits", "--model", SharedData.file("reference/synth-a/f32.gguf").toString(), "--adapter",
                SharedData.file("reference/synth-a/lora-r8.gguf").toString(), "--tokens", SharedData.file("reference/synth-a/tokens.txt").toString(),
                "--out", out.toString(), "--llama-cpp-kv-f16");
        assertEquals(0, r.code(), r.err());
        float[][] got = TokenLines.readLogits(out, 512), ref = TokenLines.readLogits(SharedData.file("reference/synth-a/f32+lora-r8.logits.f32"), 512);
        assertEquals(ref.length, got.length);
        double max = 0;
        for (int i = 0; i < got.length; i++) for (int j = 0; j < 512; j++) max = Math.max(max, Math.abs(got[i][j] - ref[i][j]));
        assertTrue(max < 1e-3, "max |Δ| " + max);
    }

    @Test
    void inspectShowsArchitectureAndTokenizer() {
        Run r = run("inspect", SharedData.file("models/stories260K.gguf").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("d 64, layers 5, heads 8 (kv 4"), r.out());
        assertTrue(r.out().contains("blk.0.attn_q.weight"));
        assertTrue(r.out().contains("SentencePiece-BPE, 512 pieces"));
    }

    @Test
    void errorsGoToStderrWithANonZeroExitCode(@TempDir Path tmp) throws Exception {
        Run r = run("inspect", tmp.resolve("missing.gguf").toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("missing.gguf"), r.err());
        Path bad = Files.write(tmp.resolve("bad.gguf"), "GGUF-but-not-really".getBytes());
        Run b = run("inspect", bad.toString());
        assertNotEquals(0, b.code());
        assertTrue(b.err().contains("bad.gguf"), b.err());
        assertEquals("", b.out());
    }
}
