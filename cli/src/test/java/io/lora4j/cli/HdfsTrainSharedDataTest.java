package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.testing.MiniHdfs;
import io.lora4j.core.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `lora4j train` with output_dir on a real (in-process) HDFS: checkpoints, metrics, adapter, report and config land there; a rerun resumes. */
class HdfsTrainSharedDataTest {
    @Test
    void trainWritesItsRunDirectoryToHdfsAndResumesFromIt(@TempDir Path tmp) throws Exception {
        try (MiniHdfs hdfs = MiniHdfs.start(tmp.resolve("hdfs"))) {
            String run = hdfs.uri("/runs/t");
            Path config = tmp.resolve("run.yaml");
            Files.writeString(config, "base_model: " + SharedData.file("models/stories260K.gguf") + "\n"
                    + "output_dir: " + run + "\n"
                    + "data: {sources: [{path: " + SharedData.file("instructions/alpaca_cleaned_en_1000.json") + "}], cutoff_len: 128, val_size: 8}\n"
                    + "lora: {r: 4, alpha: 8, targets: [q_proj, v_proj]}\n"
                    + "train: {micro_batch: 4, batch: 4, max_steps: 3, lr: 1.0e-2, schedule: constant, eval_every: 0, save_every: 0, max_eval_examples: 8}\n");
            CliSharedDataTest.Run first = CliSharedDataTest.run("train", "--config", config.toString());
            assertEquals(0, first.code(), first.err());
            for (String f : new String[] {"checkpoints/step-000003.pb", "metrics.jsonl", "adapter/adapter_model.safetensors", "adapter/adapter_config.json",
                    "report.html", "config.yaml", "loss.png"}) {
                assertTrue(hdfs.exists("/runs/t/" + f), f + " on HDFS");
            }
            CliSharedDataTest.Run again = CliSharedDataTest.run("train", "--config", config.toString(), "--resume");
            assertEquals(0, again.code(), again.err());
            assertTrue(again.out().contains("already complete"), again.out());
            CliSharedDataTest.Run runCmd = CliSharedDataTest.run("run", config.toString());
            assertNotEquals(0, runCmd.code());
            assertTrue(runCmd.err().contains("output_dir") && runCmd.err().contains("local or shared-mount"), runCmd.err());
        }
    }
}
