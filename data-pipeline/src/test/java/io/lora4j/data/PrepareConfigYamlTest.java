package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data: section binds strictly: every key, its defaults, and errors that name the bad key. */
class PrepareConfigYamlTest {

    @Test
    void bindsEveryKey() throws Exception {
        PrepareConfig c = PrepareConfigYaml.parse("""
                sources:
                  - {path: data/alpaca.json, format: alpaca}
                  - path: hdfs://nn/dolly/*.jsonl
                    fields: {input: context, output: response}
                  - data/chat.json
                template: alpaca_short
                cutoff_len: 512
                truncate: drop
                val_size: 2000
                train_on_inputs: true
                packing: true
                seed: 42
                dedup: false
                """);
        assertEquals(3, c.sources().size());
        assertEquals("alpaca", c.sources().get(0).format());
        assertEquals(Map.of("input", "context", "output", "response"), c.sources().get(1).fields());
        assertEquals("context", c.sources().get(1).field("input"));
        assertEquals("instruction", c.sources().get(1).field("instruction"));
        assertEquals("auto", c.sources().get(2).format());
        assertEquals("alpaca_short", c.template());
        assertEquals(512, c.cutoffLen());
        assertTrue(c.dropLong());
        assertEquals(2000, c.valSize());
        assertTrue(c.valIsCount());
        assertTrue(c.trainOnInputs());
        assertTrue(c.packing());
        assertEquals(42, c.seed());
        assertFalse(c.dedup());
    }

    @Test
    void defaults() throws Exception {
        PrepareConfig c = PrepareConfigYaml.parse("sources: [a.json]\n");
        assertEquals("alpaca", c.template());
        assertEquals(256, c.cutoffLen());
        assertFalse(c.dropLong());
        assertEquals(0, c.valSize());
        assertFalse(c.trainOnInputs());
        assertFalse(c.packing());
        assertTrue(c.dedup());
        assertEquals(0, c.seed());
    }

    @Test
    void loadsTheDataSectionOfARunConfig(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("run.yaml");
        Files.writeString(f, "base_model: m.gguf\nlora: {r: 8}\ndata:\n  sources: [{path: x.jsonl}]\n  val_size: 0.05\n");
        PrepareConfig c = PrepareConfigYaml.load(f);
        assertEquals("x.jsonl", c.sources().get(0).uri());
        assertEquals(0.05, c.valSize());
        assertFalse(c.valIsCount());
        var missing = assertThrows(java.io.IOException.class, () -> PrepareConfigYaml.load(tmp.resolve("nope.yaml")));
        assertTrue(missing.getMessage().contains("nope.yaml"), missing.getMessage());
    }

    @Test
    void badKeysAndValuesAreNamed() {
        assertFails("sources: [a.json]\ncutof_len: 5\n", "data.cutof_len", "unknown key");
        assertFails("sources: [{path: a.json, fromat: alpaca}]\n", "data.sources[0].fromat", "unknown key");
        assertFails("sources: [{path: a.json, format: dolly}]\n", "data.sources[0].format", "auto, alpaca or sharegpt");
        assertFails("sources: [{path: a.json, fields: {answer: response}}]\n", "data.sources[0].fields.answer", "instruction, input or output");
        assertFails("sources: [{format: alpaca}]\n", "data.sources[0].path", "required");
        assertFails("sources: []\n", "data.sources", "non-empty");
        assertFails("sources: [a.json]\ncutoff_len: long\n", "data.cutoff_len", "whole number");
        assertFails("sources: [a.json]\ncutoff_len: 0\n", "data.cutoff_len", "1 to");
        assertFails("sources: [a.json]\ntruncate: left\n", "data.truncate", "response or drop");
        assertFails("sources: [a.json]\nval_size: 2.5\n", "data.val_size", "count");
        assertFails("sources: [a.json]\nval_size: -1\n", "data.val_size", "count");
        assertFails("sources: [a.json]\npacking: yes please\n", "data.packing", "true or false");
        assertFails("sources: [a.json]\ntemplate: 3\n", "data.template", "string");
    }

    private static void assertFails(String yaml, String key, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PrepareConfigYaml.parse(yaml), yaml);
        assertTrue(e.getMessage().contains(key), "names " + key + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(expected), "says " + expected + ": " + e.getMessage());
    }
}
