package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Run configs fail before anything runs, naming the key, the value and what is allowed. */
class RunConfigTest {
    static final String GOOD = """
            name: t
            base_model: m.gguf
            data: {sources: [{path: a.json}], cutoff_len: 128}
            lora: {r: 4, alpha: 8, targets: [q_proj, v_proj]}
            train: {micro_batch: 2, batch: 4, max_steps: 10, lr: 1.0e-3}
            """;

    static RunConfig load(Path dir, String yaml, String... sets) throws IOException {
        Path f = dir.resolve("run.yaml");
        Files.writeString(f, yaml);
        return RunConfig.load(f, List.of(sets));
    }

    @Test
    void readsDefaultsAndOverrides(@TempDir Path tmp) throws Exception {
        RunConfig c = load(tmp, GOOD, "train.lr=5e-4", "lora.r=16", "distributed.workers=2");
        assertEquals(5e-4, c.train().lr());
        assertEquals(16, c.lora().r());
        assertEquals(2, c.distributed().workers());
        assertEquals(600, c.distributed().timeoutSeconds());
        assertEquals(30, load(tmp, GOOD, "distributed.timeout_seconds=30").distributed().timeoutSeconds());
        assertEquals("adamw8bit", c.train().optimizer());
        assertEquals("runs/t", c.outputDir());
        assertEquals("alpaca", c.data().template());
    }

    @Test
    void unknownKeysWrongTypesAndImpossibleValuesNameTheKey(@TempDir Path tmp) {
        IOException unknown = assertThrows(IOException.class, () -> load(tmp, GOOD.replace("lr: 1.0e-3", "lr: 1.0e-3, lrr: 2")));
        assertTrue(unknown.getMessage().contains("train") && unknown.getMessage().contains("'lrr'") && unknown.getMessage().contains("lr"), unknown.getMessage());
        IOException type = assertThrows(IOException.class, () -> load(tmp, GOOD, "train.micro_batch=two"));
        assertTrue(type.getMessage().contains("train.micro_batch"), type.getMessage());
        IOException batch = assertThrows(IOException.class, () -> load(tmp, GOOD, "train.batch=5"));
        assertTrue(batch.getMessage().contains("train.batch = 5") && batch.getMessage().contains("multiple of micro_batch"), batch.getMessage());
        IOException opt = assertThrows(IOException.class, () -> load(tmp, GOOD, "train.optimizer=sgd"));
        assertTrue(opt.getMessage().contains("adamw8bit"), opt.getMessage());
        IOException target = assertThrows(IOException.class, () -> load(tmp, GOOD, "lora.targets=[qq_proj]"));
        assertTrue(target.getMessage().contains("qq_proj"), target.getMessage());
        IOException top = assertThrows(IOException.class, () -> load(tmp, GOOD + "bogus: 1\n"));
        assertTrue(top.getMessage().contains("'bogus'"), top.getMessage());
        IOException timeout = assertThrows(IOException.class, () -> load(tmp, GOOD, "distributed.timeout_seconds=-5"));
        assertTrue(timeout.getMessage().contains("distributed.timeout_seconds = -5"), timeout.getMessage());
        IOException compare = assertThrows(IOException.class, () -> load(tmp, GOOD + "compare: {max_new_tokens: 8}\n"));
        assertTrue(compare.getMessage().contains("compare.prompts"), compare.getMessage());
    }

    @Test
    void dataSectionBecomesThePrepareJobsConfigIncludingPacking(@TempDir Path tmp) throws Exception {
        var pc = load(tmp, GOOD, "data.packing=true", "data.truncate=drop", "data.val_size=10").data().prepareConfig();
        assertTrue(pc.packing());
        assertTrue(pc.dropLong());
        assertEquals(10, pc.valSize());
        assertEquals(128, pc.cutoffLen());
        assertEquals("a.json", pc.sources().get(0).uri());
    }

    @Test
    void everyShippedConfigBinds() throws Exception {
        try (var files = Files.list(Path.of("..", "configs"))) {
            List<Path> all = files.filter(f -> f.toString().endsWith(".yaml")).toList();
            assertTrue(all.size() >= 4, "configs/*.yaml: " + all);
            for (Path f : all) assertNotNull(RunConfig.load(f, List.of()).train(), f.toString());
        }
        RunConfig demo = RunConfig.load(Path.of("..", "configs", "demo.yaml"), List.of("demo.pretrain_steps=5"));
        assertEquals(5, demo.demo().pretrainSteps());
        assertEquals("runs/demo/data/held_out.json", demo.compare().prompts());
        assertEquals(List.of("Q8_0", "F16"), demo.export().types());
    }
}
