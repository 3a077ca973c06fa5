package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.testing.MiniHdfs;
import io.lora4j.core.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `lora4j train` with the base model and output_dir on a real (in-process) HDFS: the model is copied once into the
 * local cache; checkpoints, metrics, adapter, report and config land on HDFS; a rerun resumes and reuses the copy.
 * `run` does the whole path there with two workers, and a rerun skips what is up to date.
 */
class HdfsTrainSharedDataTest {
    @Test
    void trainWritesItsRunDirectoryToHdfsAndResumesFromIt(@TempDir Path tmp) throws Exception {
        String oldCache = System.getProperty("lora4j.cache");
        Path cache = tmp.resolve("cache");
        System.setProperty("lora4j.cache", cache.toString());
        try (MiniHdfs hdfs = MiniHdfs.start(tmp.resolve("hdfs"))) {
            hdfs.fs().copyFromLocalFile(new org.apache.hadoop.fs.Path(SharedData.file("models/stories260K.gguf").toUri()),
                    new org.apache.hadoop.fs.Path("/models/stories260K.gguf"));
            String run = hdfs.uri("/runs/t");
            Path config = tmp.resolve("run.yaml");
            Files.writeString(config, "base_model: " + hdfs.uri("/models/stories260K.gguf") + "\n"
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
            Path copy;
            try (var entries = Files.list(cache)) {
                copy = entries.toList().get(0).resolve("stories260K.gguf");
            }
            assertEquals(Files.size(SharedData.file("models/stories260K.gguf")), Files.size(copy), "the base model copied from HDFS");
            long copied = Files.getLastModifiedTime(copy).toMillis();
            CliSharedDataTest.Run again = CliSharedDataTest.run("train", "--config", config.toString(), "--resume");
            assertEquals(0, again.code(), again.err());
            assertTrue(again.out().contains("already complete"), again.out());
            assertEquals(copied, Files.getLastModifiedTime(copy).toMillis(), "the cached copy is reused");
            assertFalse(hdfs.exists("/runs/t/adapter/adapter"), "the rerun's adapter replaced the first one, not nested inside it");
            try (var entries = Files.list(cache)) {
                assertEquals(1, entries.count());
            }

            // `run` end to end on HDFS with a gang of two workers: prepare → train (local[2] barrier stage) → export
            String whole = hdfs.uri("/runs/whole");
            String[] runArgs = {"run", config.toString(), "--set", "output_dir=" + whole, "--set", "distributed.workers=2",
                    "--set", "distributed.master=local[2]", "--set", "export.types=[Q8_0]", "--set", "export.adapter_gguf=true"};
            CliSharedDataTest.Run runCmd = CliSharedDataTest.run(runArgs);
            assertEquals(0, runCmd.code(), runCmd.err());
            assertTrue(runCmd.out().contains("training with 2 workers"), runCmd.out());
            for (String f : new String[] {"dataset/manifest.pb", "checkpoints/step-000003.pb", "metrics.jsonl", "adapter/adapter_model.safetensors",
                    "export/model.Q8_0.gguf", "export/adapter.gguf", "export/quality.md", "export/Modelfile", "export/.export-hash", "report.html"}) {
                assertTrue(hdfs.exists("/runs/whole/" + f), f + " of `run` on HDFS");
            }
            CliSharedDataTest.Run rerun = CliSharedDataTest.run(runArgs);
            assertEquals(0, rerun.code(), rerun.err());
            assertTrue(rerun.out().contains("already complete") && rerun.out().contains("/runs/whole/export is up to date"), rerun.out());
        } finally {
            if (oldCache == null) System.clearProperty("lora4j.cache");
            else System.setProperty("lora4j.cache", oldCache);
        }
    }
}
