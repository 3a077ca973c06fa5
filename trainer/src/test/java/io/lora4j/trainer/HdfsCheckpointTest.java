package io.lora4j.trainer;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.TinyModels;
import io.lora4j.core.testing.MiniHdfs;
import io.lora4j.data.TokenizedExample;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run directory on a real (in-process) HDFS: checkpoints, metrics and an exact resume. */
class HdfsCheckpointTest {

    @Test
    void checkpointsAndResumeOnHdfs(@TempDir Path tmp) throws Exception {
        try (MiniHdfs hdfs = MiniHdfs.start(tmp.resolve("hdfs"))) {
            String run = hdfs.uri("/runs/r1");
            LlamaConfig c = TinyModels.config(1, false);
            List<TokenizedExample> train = GradientAccumulatorTest.examples(c, 8, 3);
            Trainer.Result first = trainerFor(c, train, run).run(false, 5);
            assertEquals(5, first.steps());
            assertTrue(hdfs.exists("/runs/r1/checkpoints/step-000005.pb"));
            assertTrue(hdfs.exists("/runs/r1/metrics.jsonl"));
            Trainer.Result resumed = trainerFor(c, train, run).run(true, Long.MAX_VALUE);
            assertEquals(10, resumed.steps());
            assertEquals(10, MetricsLog.read(run).stream().filter(n -> n.get("kind").asText().equals("train")).count());
        }
    }

    private static Trainer trainerFor(LlamaConfig c, List<TokenizedExample> train, String runUri) throws Exception {
        var base = TinyModels.model(c, 3, org.nd4j.linalg.api.buffer.DataType.FLOAT, io.lora4j.core.model.LinearFactory.FROZEN);
        var adapter = io.lora4j.lora.LoraAdapter.create(c, new io.lora4j.lora.LoraConfig(4, 8, 0f,
                java.util.EnumSet.of(io.lora4j.core.model.Projection.Q), false), 11);
        var p = new io.lora4j.trainer.params.LoraParameters(base, adapter);
        return new Trainer(TrainerTest.config(10, 0.05), p, new TrainerTest.MomentumSgd(p), s -> 0.05, train, List.of(), 0, runUri, "hash-1",
                new Trainer.Hooks() {}, new java.io.PrintStream(new java.io.ByteArrayOutputStream())).showProgress(false);
    }
}
