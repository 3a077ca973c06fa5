package io.lora4j.trainer.dist;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.trainer.MetricsLog;
import io.lora4j.trainer.Trainer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training gang on real processes: Spark's {@code local-cluster[2,1,1024]} forks two executor JVMs (recipe in
 * DISTRIBUTED.md §3.2; SPARK_HOME, SPARK_SCALA_VERSION and SPARK_LOCAL_IP come from surefire). Equivalence with one
 * worker, recovery when one executor process halts mid-run, and when a task is stuck beyond interrupts.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class GangClusterTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        new File(System.getenv("SPARK_HOME"), "jars").mkdirs();
        // surefire's java.class.path may be a manifest-only booter jar; executors need the real test classpath
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        SparkConf conf = new SparkConf().setMaster("local-cluster[2,1,1024]").setAppName("gang-cluster-test")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.executor.extraClassPath", cp)
                .set("spark.executor.memory", "1g")
                // the GPU settings of a real cluster, with a discovery script that reports one (fake) GPU per worker:
                // every gang task must then see the device Spark assigned it
                .set("spark.worker.resource.gpu.amount", "1").set("spark.worker.resource.gpu.discoveryScript", gpuScript())
                .set("spark.executor.resource.gpu.amount", "1").set("spark.task.resource.gpu.amount", "1")
                // what TrainStage sets for real runs, with a short kill timeout: a task that ignores the kill ends its executor
                .set("spark.task.reaper.enabled", "true").set("spark.task.reaper.killTimeout", "5s");
        spark = SparkSession.builder().config(conf).getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    static String gpuScript() {
        try {
            Path script = Files.createTempFile("gpus", ".sh");
            Files.writeString(script, "#!/bin/sh\necho '{\"name\": \"gpu\", \"addresses\": [\"0\"]}'\n");
            script.toFile().setExecutable(true);
            return script.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The adapter bits, the executor's process id, and the GPU Spark assigned the task. */
    static String withPid(float[] adapter) {
        var device = GpuBinding.deviceFor(org.apache.spark.TaskContext.get().resourcesJMap());
        return GangTest.encode(adapter) + "|" + ProcessHandle.current().pid() + "|" + (device.isPresent() ? device.getAsInt() : -1);
    }

    @Test
    void twoExecutorProcessesWithMicroBatchBEqualOneWorkerWith2B(@TempDir Path tmp) throws Exception {
        float[] single = GangTest.train(4, new Trainer.Hooks() {}, tmp.resolve("single").toString(), false, 0, null);
        String dir = tmp.resolve("gang").toString();
        List<String> out = Gang.run(spark, 2, 1, false, 60_000, (comm, resume) -> withPid(GangTest.train(2, new GangHooks(comm, 5), dir, resume, 0, null)));
        long pid0 = pid(out.get(0)), pid1 = pid(out.get(1));
        assertNotEquals(pid0, pid1, "the two ranks ran in two executor JVMs");
        assertNotEquals(ProcessHandle.current().pid(), pid0, "rank 0 ran outside the driver JVM");
        float[] r0 = adapter(out.get(0)), r1 = adapter(out.get(1));
        assertArrayEquals(r0, r1, 0f, "ranks stay bitwise in sync");
        assertEquals(0, gpu(out.get(0)), "rank 0 saw the GPU Spark assigned it");
        assertEquals(0, gpu(out.get(1)), "rank 1 saw the GPU Spark assigned it");
        double d = GangTest.maxDiff(single, r0);
        System.out.printf("local-cluster gang equivalence after 20 steps: max |Δ adapter| %.2e (executor pids %d, %d)%n", d, pid0, pid1);
        assertTrue(d <= 1e-5, "2 executors × micro 2 vs 1 worker × micro 4: " + d);
        double[] a = losses(tmp.resolve("single").toString()), b = losses(dir);
        assertEquals(20, b.length);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-5, "loss at step " + (i + 1));
    }

    @Test
    void anExecutorProcessThatDiesIsReplacedAndTheRunEndsAsIfUninterrupted(@TempDir Path tmp) throws Exception {
        List<List<String>> runs = cleanAndFailedOnce(tmp, "killed.halt", 60_000);
        List<String> clean = runs.get(0), recovered = runs.get(1);
        java.util.Set<Long> original = java.util.Set.of(pid(clean.get(0)), pid(clean.get(1)));
        assertFalse(original.contains(pid(recovered.get(0))) && original.contains(pid(recovered.get(1))),
                "a replacement executor process ran the resumed gang (before " + original + ", after " + pid(recovered.get(0)) + ", " + pid(recovered.get(1)) + ")");
        assertArrayEquals(adapter(clean.get(0)), adapter(recovered.get(0)), 0f,
                "the resumed gang ends with the uninterrupted gang's adapter");
        double[] a = losses(tmp.resolve("ref").toString()), b = losses(tmp.resolve("gang").toString());
        assertEquals(a[a.length - 1], b[b.length - 1], 0.0, "final step loss");
    }

    /**
     * Rank 1 gets stuck at step 10 where an interrupt cannot reach it (it spins, ignoring interrupts): rank 0's ring
     * times out naming it, the gang's job fails, Spark's kill does not stop the task, and the task reaper ends that
     * executor process after its kill timeout; a replacement executor runs the resumed gang to the uninterrupted end.
     */
    @Test
    void aWorkerStuckBeyondInterruptsIsEndedByTheTaskReaperAndTheRunRecovers(@TempDir Path tmp) throws Exception {
        List<List<String>> runs = cleanAndFailedOnce(tmp, "stuck.spin", 5_000);
        assertArrayEquals(adapter(runs.get(0).get(0)), adapter(runs.get(1).get(0)), 0f, "the resumed gang ends with the uninterrupted gang's adapter");
    }

    /**
     * An uninterrupted gang in {@code tmp/ref}, and one in {@code tmp/gang} whose rank 1 fails at step 10 of its first
     * attempt as {@code marker}'s suffix says (GangTest.train); each rank's answer as withPid gives it.
     */
    private static List<List<String>> cleanAndFailedOnce(Path tmp, String marker, int timeoutMillis) throws Exception {
        String ref = tmp.resolve("ref").toString(), dir = tmp.resolve("gang").toString(), failMarker = tmp.resolve(marker).toString();
        List<String> clean = Gang.run(spark, 2, 1, false, 60_000, (comm, resume) -> withPid(GangTest.train(2, new GangHooks(comm, 5), ref, resume, 0, null)));
        List<String> recovered = Gang.run(spark, 2, 3, false, timeoutMillis,
                (comm, resume) -> withPid(GangTest.train(2, new GangHooks(comm, 5), dir, resume, 10, failMarker)));
        assertTrue(Files.exists(Path.of(failMarker)), "rank 1 failed at step 10 (" + marker + ")");
        return List.of(clean, recovered);
    }

    // a worker's answer is "adapter bits|executor pid|gpu" (withPid)
    private static float[] adapter(String out) {
        return GangTest.decode(out.split("\\|")[0]);
    }

    private static long pid(String out) {
        return Long.parseLong(out.split("\\|")[1]);
    }

    private static int gpu(String out) {
        return Integer.parseInt(out.split("\\|")[2]);
    }

    private static double[] losses(String runDir) throws Exception {
        return MetricsLog.read(runDir).stream().filter(n -> n.get("kind").asText().equals("train")).mapToDouble(n -> n.get("loss").asDouble()).toArray();
    }
}
