package io.lora4j.trainer;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.lora4j.core.model.LinearFactory;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.TinyModels;
import io.lora4j.core.proto.OptimizerState;
import io.lora4j.core.proto.StateBlock;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraConfig;
import io.lora4j.data.TokenizedExample;
import io.lora4j.trainer.params.LoraParameters;
import io.lora4j.trainer.params.TrainableParameters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class TrainerTest {

    /** SGD with momentum: small, stateful (so resume must restore the state), enough to test the loop itself. */
    static final class MomentumSgd implements ParameterOptimizer {
        final TrainableParameters p;
        INDArray velocity;

        MomentumSgd(TrainableParameters p) {
            this.p = p;
            this.velocity = p.parameters().like().assign(0);
        }

        public void step(double lr) {
            velocity.muli(0.9).addi(p.gradients());
            p.parameters().subi(velocity.mul(lr));
        }

        public long stateBytes() {
            return velocity.length() * 4;
        }

        public OptimizerState toProto() {
            float[] v = velocity.toFloatVector();
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            return OptimizerState.newBuilder().setKind("sgd").addBlocks(StateBlock.newBuilder().setName("v").setF32(ByteString.copyFrom(b.array()))).build();
        }

        public void restore(OptimizerState s) {
            float[] v = new float[(int) velocity.length()];
            s.getBlocks(0).getF32().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            velocity = org.nd4j.linalg.factory.Nd4j.createFromArray(v);
        }
    }

    static TrainConfig config(int maxSteps, double lr) {
        return new TrainConfig(2, 4, null, maxSteps, lr, TrainConfig.Schedule.COSINE, 2, 0.0, 0.0, TrainConfig.Optimizer.ADAMW, 0.9, 0.999, 1e-8, 1.0, 5, 5, 2, 7L, false, List.of(), 8, 0);
    }

    record Run(Trainer trainer, LoraParameters params) {}

    static Run newRun(LlamaConfig c, List<TokenizedExample> train, List<TokenizedExample> val, Path dir, int maxSteps, double lr) throws Exception {
        LlamaModel base = TinyModels.model(c, 3, DataType.FLOAT, LinearFactory.FROZEN);
        LoraAdapter adapter = LoraAdapter.create(c, new LoraConfig(4, 8, 0.1f, EnumSet.of(Projection.Q, Projection.V, Projection.DOWN), false), 11);
        LoraParameters p = new LoraParameters(base, adapter);
        TrainConfig cfg = config(maxSteps, lr);
        Trainer t = new Trainer(cfg, p, new MomentumSgd(p), step -> lr * (1 + Math.cos(Math.PI * step / maxSteps)) / 2,
                train, val, 0, dir.toString(), "hash-1", new Trainer.Hooks() {}, new PrintStream(new ByteArrayOutputStream()));
        return new Run(t.showProgress(false), p);
    }

    static double[] trainLosses(Path dir) throws Exception {
        return MetricsLog.read(dir.toString()).stream().filter(n -> n.get("kind").asText().equals("train"))
                .mapToDouble(n -> n.get("loss").asDouble()).toArray();
    }

    @Test
    void resumedRunReproducesTheUninterruptedRunExactly(@TempDir Path tmp) throws Exception {
        LlamaConfig c = TinyModels.config(2, false);
        List<TokenizedExample> train = GradientAccumulatorTest.examples(c, 13, 1), val = train.subList(0, 4); // random data: only memorisation is learnable

        Run full = newRun(c, train, val, tmp.resolve("full"), 20, 0.05);
        Trainer.Result r = full.trainer().run(false, Long.MAX_VALUE);
        assertEquals(20, r.steps());
        assertTrue(r.lastValLoss() < r.firstValLoss(), "validation loss should fall: " + r);

        Run first = newRun(c, train, val, tmp.resolve("split"), 20, 0.05);
        assertEquals(10, first.trainer().run(false, 10).steps());
        Run second = newRun(c, train, val, tmp.resolve("split"), 20, 0.05); // a fresh process: new adapter init
        assertEquals(20, second.trainer().run(true, Long.MAX_VALUE).steps());

        assertArrayEquals(trainLosses(tmp.resolve("full")), trainLosses(tmp.resolve("split")), 0.0);
        assertArrayEquals(full.params().parameters().toFloatVector(), second.params().parameters().toFloatVector(), 0f);
        assertEquals(List.of(15L, 20L), full.trainer().checkpoints().steps(), "keep_checkpoints = 2");
    }

    @Test
    void nonFiniteLossStopsTheRunNamingTheStepAndKeepsTheLastCheckpoint(@TempDir Path tmp) throws Exception {
        LlamaConfig c = TinyModels.config(1, false);
        List<TokenizedExample> train = GradientAccumulatorTest.examples(c, 8, 3);
        Run run = newRun(c, train, List.of(), tmp, 20, 0.05);
        run.trainer().run(false, 5); // checkpoint at step 5
        Run poisoned = newRun(c, train, List.of(), tmp, 20, 0.05);
        poisoned.params().adapter().module(0, Projection.Q).a().putScalar(0, 0, Float.NaN);
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> poisoned.trainer().run(false, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("step 1"), e.getMessage());
        assertEquals(List.of(5L), run.trainer().checkpoints().steps(), "the good checkpoint stays, no new one is written");
    }

    @Test
    void resumeRefusesACheckpointOfAnotherConfiguration(@TempDir Path tmp) throws Exception {
        LlamaConfig c = TinyModels.config(1, false);
        List<TokenizedExample> train = GradientAccumulatorTest.examples(c, 8, 3);
        newRun(c, train, List.of(), tmp, 10, 0.05).trainer().run(false, 5);
        LoraParameters p = newRun(c, train, List.of(), tmp, 10, 0.05).params();
        Trainer other = new Trainer(config(10, 0.05), p, new MomentumSgd(p), s -> 0.05, train, List.of(), 0, tmp.toString(), "hash-2",
                new Trainer.Hooks() {}, new PrintStream(new ByteArrayOutputStream())).showProgress(false);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> other.run(true, 10));
        assertTrue(e.getMessage().contains("settings differ"), e.getMessage());
    }

    @Test
    void metricsHaveOneLinePerStepAndEvaluations(@TempDir Path tmp) throws Exception {
        LlamaConfig c = TinyModels.config(1, false);
        newRun(c, GradientAccumulatorTest.examples(c, 8, 3), GradientAccumulatorTest.examples(c, 2, 4), tmp, 10, 0.05).trainer().run(false, 10);
        List<JsonNode> lines = MetricsLog.read(tmp.toString());
        assertEquals(10, lines.stream().filter(n -> n.get("kind").asText().equals("train")).count());
        assertEquals(List.of(0L, 5L, 10L), lines.stream().filter(n -> n.get("kind").asText().equals("eval")).map(n -> n.get("step").asLong()).toList());
    }

    /** Written to a file (a log, CI): plain lines without cursor codes; one throughput figure in the log, metrics.jsonl and report.html. */
    @Test
    void progressInALogIsPlainLinesAndThroughputIsOneFigureEverywhere(@TempDir Path tmp) throws Exception {
        LlamaConfig c = TinyModels.config(1, false);
        LlamaModel base = TinyModels.model(c, 3, DataType.FLOAT, LinearFactory.FROZEN);
        LoraParameters p = new LoraParameters(base, LoraAdapter.create(c, new LoraConfig(4, 8, 0f, EnumSet.of(Projection.Q), false), 11));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer t = new Trainer(config(10, 0.05), p, new MomentumSgd(p), s -> 0.05, GradientAccumulatorTest.examples(c, 8, 3),
                GradientAccumulatorTest.examples(c, 2, 4), 0, tmp.toString(), "h", new Trainer.Hooks() {}, new PrintStream(log, true));
        Trainer.Result r = t.run(false, Long.MAX_VALUE);
        String text = log.toString();
        assertFalse(text.contains("\r") || text.contains("\u001b"), "no cursor control in a log: " + text);
        assertTrue(text.contains("step 10/10  loss "), text);
        JsonNode summary = MetricsLog.read(tmp.toString()).stream().filter(n -> n.get("kind").asText().equals("summary")).findFirst().orElseThrow();
        assertEquals(r.tokensPerSecond(), summary.get("tokens_per_s").asDouble(), 1e-9);
        double tokens = 0, seconds = 0;
        for (JsonNode n : MetricsLog.read(tmp.toString())) {
            if (!n.get("kind").asText().equals("train")) continue;
            tokens += n.get("tokens").asDouble();
            seconds += n.get("step_s").asDouble();
        }
        assertEquals(r.tokensPerSecond(), Trainer.throughput(tokens, seconds), 1e-6 * r.tokensPerSecond(), "the per-step lines add up to the same figure");

        java.nio.file.Files.writeString(tmp.resolve("compare.md"), "| instruction | expected |\n|---|---|\n| a < b | c |\n\nexactly as expected: 1 of 1\n");
        String html = java.nio.file.Files.readString(io.lora4j.trainer.run.RunReport.write(tmp, tmp.toString()));
        assertTrue(html.contains(String.format("throughput %.0f tokens/s", r.tokensPerSecond())), "report.html shows the same figure");
        assertTrue(html.contains("<table>") && html.contains("<td>a &lt; b</td>") && !html.contains("|---|"), "Markdown tables become HTML tables");
    }
}
