package io.lora4j.trainer.dist;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.model.LinearFactory;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.TinyModels;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraConfig;
import io.lora4j.trainer.MetricsLog;
import io.lora4j.trainer.TrainConfig;
import io.lora4j.trainer.Trainer;
import io.lora4j.data.TokenizedExample;
import io.lora4j.trainer.optim.AdamW;
import io.lora4j.trainer.optim.AdamWSettings;
import io.lora4j.trainer.params.LoraParameters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training gang on Spark local[2]: equivalence with one worker, and recovery from a failed worker. */
class GangTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("gang-test").config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static List<TokenizedExample> data(LlamaConfig c) {
        SplittableRandom r = new SplittableRandom(4);
        List<TokenizedExample> out = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            int len = 4 + r.nextInt(5);
            int[] ids = new int[len], labels = new int[len];
            for (int t = 0; t < len; t++) {
                ids[t] = r.nextInt(c.vocabSize());
                labels[t] = t < 2 ? -100 : ids[t];
            }
            out.add(new TokenizedExample(ids, labels, "ex" + i));
        }
        return out;
    }

    /**
     * One worker's whole run; {@code failAt} > 0 makes rank 1 fail at that step on the first attempt: it throws, or,
     * when {@code failMarker} ends in ".halt", its whole JVM halts at once; ".hang" sleeps until interrupted, ".spin"
     * spins ignoring interrupts.
     */
    static float[] train(int micro, Trainer.Hooks hooks, String runDir, boolean resume, int failAt, String failMarker) throws Exception {
        LlamaConfig c = TinyModels.config(2, false);
        LlamaModel base = TinyModels.model(c, 3, org.nd4j.linalg.api.buffer.DataType.FLOAT, LinearFactory.FROZEN);
        LoraAdapter adapter = LoraAdapter.create(c, new LoraConfig(4, 8, 0f, EnumSet.of(Projection.Q, Projection.V, Projection.DOWN), false), 11);
        LoraParameters p = new LoraParameters(base, adapter);
        TrainConfig cfg = new TrainConfig(micro, 8, null, 20, 0.02, TrainConfig.Schedule.CONSTANT, 0, 0.0, 0.0, TrainConfig.Optimizer.ADAMW, 0.9, 0.999, 1e-8, 0.0, 0, 4, 10, 7L, false, List.of(), 8, 0);
        Trainer.Hooks h = failAt <= 0 ? hooks : new Trainer.Hooks() {
            public io.lora4j.trainer.GradientAccumulator.Totals allReduce(io.lora4j.trainer.params.TrainableParameters params, io.lora4j.trainer.GradientAccumulator.Totals t) { return hooks.allReduce(params, t); }
            public io.lora4j.trainer.GradientAccumulator.Totals allReduceTotals(io.lora4j.trainer.GradientAccumulator.Totals t) { return hooks.allReduceTotals(t); }
            public void afterStep(long step, io.lora4j.trainer.params.TrainableParameters params) {
                hooks.afterStep(step, params);
                try {
                    if (hooks.rank() == 1 && step == failAt && Files.notExists(Path.of(failMarker))) {
                        Files.createFile(Path.of(failMarker));
                        if (failMarker.endsWith(".halt")) Runtime.getRuntime().halt(137); // the whole executor process dies, like a kill -9
                        if (failMarker.endsWith(".hang")) Thread.sleep(Long.MAX_VALUE); // alive but stuck: only the peers' timeouts notice
                        if (failMarker.endsWith(".spin")) {
                            while (System.nanoTime() != 0) Thread.interrupted(); // stuck where no interrupt reaches, like native code
                        }
                        throw new IllegalStateException("simulated worker crash at step " + step);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("hung worker interrupted at step " + step, e);
                }
            }
            public boolean isLeader() { return hooks.isLeader(); }
            public int rank() { return hooks.rank(); }
            public int worldSize() { return hooks.worldSize(); }
        };
        new Trainer(cfg, p, new AdamW(p, AdamWSettings.defaults()), s -> 0.02, data(c), List.of(), 0, runDir, "gang-test", h,
                new PrintStream(new ByteArrayOutputStream())).showProgress(false).run(resume, Long.MAX_VALUE);
        return p.parameters().toFloatVector();
    }

    static String encode(float[] v) {
        StringBuilder b = new StringBuilder();
        for (float f : v) b.append(Float.floatToRawIntBits(f)).append(',');
        return b.toString();
    }

    static float[] decode(String s) {
        String[] p = s.split(",");
        float[] v = new float[p.length];
        for (int i = 0; i < v.length; i++) v[i] = Float.intBitsToFloat(Integer.parseInt(p[i]));
        return v;
    }

    static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @Test
    void twoWorkersWithMicroBatchBEqualOneWorkerWith2B(@TempDir Path tmp) throws Exception {
        float[] single = train(4, new Trainer.Hooks() {}, tmp.resolve("single").toString(), false, 0, null);
        String dir = tmp.resolve("gang").toString();
        List<String> out = Gang.run(spark, 2, 1, false, 30_000, (comm, resume) -> encode(train(2, new GangHooks(comm, 5), dir, resume, 0, null)));
        float[] r0 = decode(out.get(0)), r1 = decode(out.get(1));
        assertArrayEquals(r0, r1, 0f, "ranks stay bitwise in sync");
        double d = maxDiff(single, r0);
        System.out.printf("gang equivalence after 20 steps: max |Δ adapter| %.2e%n", d);
        assertTrue(d <= 1e-5, "2 workers × micro 2 vs 1 worker × micro 4: " + d);
        double[] a = MetricsLog.read(tmp.resolve("single").toString()).stream().filter(n -> n.get("kind").asText().equals("train")).mapToDouble(n -> n.get("loss").asDouble()).toArray();
        double[] b = MetricsLog.read(dir).stream().filter(n -> n.get("kind").asText().equals("train")).mapToDouble(n -> n.get("loss").asDouble()).toArray();
        assertEquals(20, b.length);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-5, "loss at step " + (i + 1));
    }

    @Test
    void aFailedWorkerRestartsTheGangFromTheLastCheckpoint(@TempDir Path tmp) throws Exception {
        String ref = tmp.resolve("ref").toString(), dir = tmp.resolve("gang").toString(), marker = tmp.resolve("crashed").toString();
        List<String> clean = Gang.run(spark, 2, 1, false, 30_000, (comm, resume) -> encode(train(2, new GangHooks(comm, 5), ref, resume, 0, null)));
        List<String> recovered = Gang.run(spark, 2, 3, false, 30_000, (comm, resume) -> encode(train(2, new GangHooks(comm, 5), dir, resume, 10, marker)));
        assertTrue(Files.exists(Path.of(marker)), "the simulated crash happened");
        assertArrayEquals(decode(clean.get(0)), decode(recovered.get(0)), 0f, "resumed gang ends with the uninterrupted gang's adapter");
    }

    /**
     * Rank 1 stops answering at step 10 without dying. Rank 0's ring times out waiting for it (3 s here), the gang's
     * job fails, Spark interrupts the stuck task, and the next attempt resumes from the checkpoint and ends with the
     * uninterrupted run's adapter.
     */
    @Test
    void aHungWorkerIsDetectedByTheTimeoutAndTheGangRecovers(@TempDir Path tmp) throws Exception {
        String ref = tmp.resolve("ref").toString(), dir = tmp.resolve("gang").toString(), marker = tmp.resolve("stuck.hang").toString();
        List<String> clean = Gang.run(spark, 2, 1, false, 30_000, (comm, resume) -> encode(train(2, new GangHooks(comm, 5), ref, resume, 0, null)));
        long t0 = System.nanoTime();
        List<String> recovered = Gang.run(spark, 2, 3, false, 3_000, (comm, resume) -> encode(train(2, new GangHooks(comm, 5), dir, resume, 10, marker)));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(Files.exists(Path.of(marker)), "rank 1 hung once");
        assertArrayEquals(decode(clean.get(0)), decode(recovered.get(0)), 0f, "resumed gang ends with the uninterrupted gang's adapter");
        assertTrue(seconds < 60, "recovered in " + seconds + " s");
    }

    @Test
    void theGangsRunDirectoryOnHdfsCarriesARecovery(@TempDir Path tmp) throws Exception {
        try (io.lora4j.core.testing.MiniHdfs hdfs = io.lora4j.core.testing.MiniHdfs.start(tmp.resolve("hdfs"))) {
            String dir = hdfs.uri("/runs/gang"), marker = tmp.resolve("crashed").toString();
            float[] single = train(4, new Trainer.Hooks() {}, tmp.resolve("single").toString(), false, 0, null);
            List<String> out = Gang.run(spark, 2, 3, false, 30_000, (comm, resume) -> encode(train(2, new GangHooks(comm, 5), dir, resume, 10, marker)));
            assertTrue(Files.exists(Path.of(marker)), "rank 1 failed once");
            assertTrue(hdfs.exists("/runs/gang/checkpoints/step-000020.pb"), "rank 0 wrote to HDFS");
            assertTrue(maxDiff(single, decode(out.get(0))) <= 1e-5, "resumed from the HDFS checkpoint: " + maxDiff(single, decode(out.get(0))));
        }
    }
}
