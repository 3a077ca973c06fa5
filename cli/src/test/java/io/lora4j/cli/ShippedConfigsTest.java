package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.trainer.run.RunConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every config in configs/ binds strictly, and its relative paths resolve against configs/, not the working directory. */
class ShippedConfigsTest {
    @Test
    void everyShippedConfigBinds() throws Exception {
        Path dir = Path.of("..", "configs").toAbsolutePath().normalize();
        try (var files = Files.list(dir)) {
            List<Path> all = files.filter(f -> f.toString().endsWith(".yaml")).toList();
            assertTrue(all.size() >= 7, "configs/*.yaml: " + all);
            for (Path f : all) assertNotNull(Configs.load(f, List.of()).train(), f.toString());
        }
        RunConfig ci = Configs.load(dir.resolve("ci-stories260k.yaml"), List.of());
        assertEquals(dir.getParent().getParent().resolve("shared/data/models/stories260K.gguf").toString(), ci.baseModel());
        assertEquals(dir.getParent().resolve("runs/ci-stories260k").toString(), ci.outputDir(), "CI reads runs/ci-stories260k at the repo root");
        RunConfig demo = Configs.load(dir.resolve("demo.yaml"), List.of("demo.pretrain_steps=5"));
        assertEquals(5, demo.demo().pretrainSteps());
        assertEquals(dir.getParent().resolve("runs/demo/data/held_out.json").toString(), demo.compare().prompts());
        assertThrows(IllegalArgumentException.class, () -> Configs.load(dir.resolve("demo.yaml"), List.of("export.types=[Q9_9]")));
    }
}
