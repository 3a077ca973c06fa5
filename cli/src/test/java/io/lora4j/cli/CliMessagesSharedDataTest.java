package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What a new user sees: help on every command, errors that name the path, a generation cut by the context says so. */
class CliMessagesSharedDataTest {
    @Test
    void everyCommandHasHelp() {
        List<String> names = List.copyOf(new CommandLine(new Lora4j()).getSubcommands().keySet());
        assertTrue(names.containsAll(List.of("prepare", "train", "run", "export", "quantize", "bench", "demo", "generate", "inspect", "tokenize", "logits")), names.toString());
        for (String name : names) {
            if (name.equals("help")) continue;
            CliSharedDataTest.Run r = CliSharedDataTest.run(name, "--help");
            assertEquals(0, r.code(), name + " --help: " + r.err());
            assertTrue(r.out().contains("Usage: lora4j " + name), name + " --help printed: " + r.out() + r.err());
        }
        String bench = CliSharedDataTest.run("bench", "--help").out();
        for (String b : List.of("tokenize", "train", "quantize", "allreduce", "prepare")) assertTrue(bench.contains(b), "bench --help lists " + b + ": " + bench);
    }

    @Test
    void directoriesAndFilesWhereTheOtherIsExpectedAreNamed(@TempDir Path tmp) throws Exception {
        CliSharedDataTest.Run inspect = CliSharedDataTest.run("inspect", tmp.toString());
        assertNotEquals(0, inspect.code());
        assertTrue(inspect.err().contains(tmp + ": is a directory"), inspect.err());
        CliSharedDataTest.Run quantize = CliSharedDataTest.run("quantize", tmp.toString(), tmp.resolve("o.gguf").toString(), "Q8_0");
        assertNotEquals(0, quantize.code());
        assertTrue(quantize.err().contains(tmp + ": is a directory"), quantize.err());
        Path file = tmp.resolve("a-file");
        Files.writeString(file, "x");
        CliSharedDataTest.Run export = CliSharedDataTest.run("export", "--model", SharedData.file("models/stories260K.gguf").toString(), "--type", "Q8_0",
                "--out", file.toString());
        assertNotEquals(0, export.code());
        assertTrue(export.err().contains(file + " is a file"), export.err());
    }

    @Test
    void generationCutByTheContextLengthSaysSo() throws Exception {
        String model = SharedData.file("models/stories260K.gguf").toString();
        CliSharedDataTest.Run r = CliSharedDataTest.run("generate", "--model", model, "--prompt", "Once upon a time", "--max-tokens", "5", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode out = new ObjectMapper().readTree(r.out());
        assertEquals("max_tokens", out.get("stop").asText());
        assertEquals(5, out.get("ids").size());
        // a prompt that nearly fills the context: generation stops there, and says so
        int context;
        try (var f = io.lora4j.core.gguf.GgufFile.open(Path.of(model))) {
            context = (int) f.metadata().getInteger("llama.context_length");
        }
        String unit = "Once upon a time there was a little girl named Lily. ";
        int perUnit = new ObjectMapper().readTree(CliSharedDataTest.run("tokenize", "--model", model, "--no-bos", "--text", unit + unit).out()).size() / 2;
        String longPrompt = unit.repeat(Math.max(1, (context - 8) / (perUnit + 1)));
        CliSharedDataTest.Run cut = CliSharedDataTest.run("generate", "--model", model, "--prompt", longPrompt, "--max-tokens", "100", "--json");
        assertEquals(0, cut.code(), cut.err());
        JsonNode c = new ObjectMapper().readTree(cut.out());
        assertTrue(c.get("prompt_ids").size() < context && c.get("prompt_ids").size() > context - 100, "prompt of " + c.get("prompt_ids").size());
        if (!c.get("stop").asText().equals("eos")) {
            assertEquals("context_length", c.get("stop").asText());
            assertEquals(context, c.get("prompt_ids").size() + c.get("ids").size());
            assertTrue(cut.err().contains("at the model's context length (" + context + " tokens"), cut.err());
        }
        CliSharedDataTest.Run tooLong = CliSharedDataTest.run("generate", "--model", model, "--prompt", unit.repeat(context), "--max-tokens", "4");
        assertNotEquals(0, tooLong.code());
        assertTrue(tooLong.err().contains("no fewer than the model's context length " + context), tooLong.err());
    }

    /** The export command streams from the base file and still writes every deliverable (adapter.gguf named after the base). */
    @Test
    void exportWritesTheAdapterGgufBesideTheStreamedModel(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("export");
        CliSharedDataTest.Run r = CliSharedDataTest.run("export", "--model", SharedData.file("reference/synth-a/f32.gguf").toString(),
                "--adapter", SharedData.file("reference/synth-a/lora-r8.gguf").toString(), "--type", "Q8_0", "--adapter-gguf", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(out.resolve("model.Q8_0.gguf")) > 0 && Files.size(out.resolve("adapter.gguf")) > 0);
        try (var f = io.lora4j.core.gguf.GgufFile.open(out.resolve("adapter.gguf"))) {
            assertEquals("adapter", f.metadata().getString("general.type"));
        }
    }
}
