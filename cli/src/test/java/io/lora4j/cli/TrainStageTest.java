package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainStageTest {
    /** The CPU build cannot run NCCL: `train --workers 2` says so before Spark starts, not after three failed gang attempts. */
    @Test
    void ncclOnTheCpuBuildFailsBeforeTheGangStarts(@TempDir Path tmp) throws Exception {
        Path config = tmp.resolve("run.yaml");
        Files.writeString(config, "base_model: " + tmp.resolve("model.gguf") + "\n"
                + "output_dir: " + tmp.resolve("run") + "\n"
                + "data: {sources: [{path: " + tmp.resolve("data.json") + "}]}\n"
                + "train: {micro_batch: 1, batch: 2, max_steps: 1, lr: 1.0e-3}\n"
                + "distributed: {workers: 2, backend: nccl, master: 'local[2]'}\n");
        long t0 = System.nanoTime();
        CliSharedDataTest.Run r = CliSharedDataTest.run("train", "--config", config.toString());
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("distributed.backend = nccl needs ND4J's CUDA backend"), r.err());
        assertFalse(r.err().contains("gang attempt"), "the gang must not have started: " + r.err());
        assertTrue(seconds < 20, "failed after " + seconds + " s");
    }
}
