package io.lora4j.trainer.bench;

import io.lora4j.core.model.LinearFactory;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.Projection;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraConfig;
import io.lora4j.trainer.TrainConfig;
import io.lora4j.trainer.Trainer;
import io.lora4j.data.TokenizedExample;
import io.lora4j.trainer.dist.Communicator;
import io.lora4j.trainer.dist.Gang;
import io.lora4j.trainer.dist.GangHooks;
import io.lora4j.trainer.optim.AdamW8bit;
import io.lora4j.trainer.optim.AdamWSettings;
import io.lora4j.trainer.params.LoraParameters;
import io.lora4j.trainer.params.TrainableParameters;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.SparkSession;

/**
 * {@code lora4j bench train --workers N}: the real training loop (Trainer, 8-bit AdamW, the gang's in-place ring
 * all-reduce) on Spark local[N], with the same global batch for 1 and N workers, and where each rank's step time
 * goes: data (its micro-batches), compute (forward + backward), all-reduce, optimizer. Each gang task limits ND4J
 * to its task CPUs (one on local[N]), as training does, so N workers use N cores; warm-up steps are excluded.
 * The task's CPU time per step beside its wall time shows when the machine did not give the workers their cores.
 */
public final class GangTrainBenchmark {
    private GangTrainBenchmark() {}

    static final TrainBenchmark.Shape SHAPE = new TrainBenchmark.Shape("d256", 256, 4, 8, 688, 8000, 128, 4, 16);

    public static void run(PrintStream out, int workers, int steps, int warmup) throws Exception {
        out.printf("lora4j bench train --workers %d: %s (d %d, L %d, V %d, T %d), LoRA r %d on all projections, micro-batch %d, "
                        + "global batch %d, %d timed steps after %d warm-up, 1 BLAS thread per worker, %d cores%n",
                workers, SHAPE.name(), SHAPE.dim(), SHAPE.layers(), SHAPE.vocab(), SHAPE.seq(), SHAPE.rank(), SHAPE.micro(), SHAPE.micro() * workers,
                steps, warmup, Runtime.getRuntime().availableProcessors());
        out.println("| workers | rank | step ms | data ms | compute ms | all-reduce ms | optimizer ms | all-reduce share | task CPU ms/step | tokens/s (all ranks) |");
        out.println("|---|---|---|---|---|---|---|---|---|---|");
        double[] slowestStepMs = new double[2]; // 1 worker, N workers: the gang moves at its slowest rank's pace
        for (int n : workers == 1 ? new int[] {1} : new int[] {1, workers}) {
            SparkSession spark = SparkSession.builder().master("local[" + n + "]").appName("bench-train-gang").config("spark.ui.enabled", "false").getOrCreate();
            try {
                int globalBatch = SHAPE.micro() * workers;
                List<String> rows = Gang.run(spark, n, 1, false, 120_000, (comm, resume) -> worker(comm, globalBatch, steps, warmup));
                for (String r : rows) {
                    String[] f = r.split(",");
                    double stepMs = Double.parseDouble(f[1]), reduce = Double.parseDouble(f[4]);
                    double tokensPerS = (double) globalBatch * SHAPE.seq() / (stepMs / 1e3);
                    out.printf("| %d | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f%% | %.1f | %.0f |%n", n, f[0], stepMs, Double.parseDouble(f[2]),
                            Double.parseDouble(f[3]), reduce, Double.parseDouble(f[5]), 100 * reduce / stepMs, Double.parseDouble(f[6]), tokensPerS);
                    int which = n == 1 ? 0 : 1;
                    slowestStepMs[which] = Math.max(slowestStepMs[which], stepMs);
                }
            } finally {
                spark.stop();
            }
        }
        if (workers > 1) {
            out.printf("%d workers: %.2fx the tokens/s of 1 worker on the same global batch (ideal %dx; the all-reduce column includes"
                    + " waiting for the slower rank)%n", workers, slowestStepMs[0] / slowestStepMs[1], workers);
        }
    }

    /** One rank: train warmup + steps, and report the mean phase times of the timed steps as "rank,step,data,compute,reduce,opt" in ms. */
    static String worker(Communicator comm, int globalBatch, int steps, int warmup) throws Exception {
        LlamaConfig c = SHAPE.config();
        LlamaModel base = new LlamaModel(c, TrainBenchmark.randomWeights(c), LinearFactory.FROZEN);
        LoraAdapter adapter = LoraAdapter.create(c, new LoraConfig(SHAPE.rank(), 2f * SHAPE.rank(), 0f, EnumSet.allOf(Projection.class), false), 1);
        LoraParameters p = new LoraParameters(base, adapter);
        List<TokenizedExample> data = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < globalBatch * (steps + warmup); i++) {
            int[] ids = new int[SHAPE.seq()];
            for (int t = 0; t < ids.length; t++) ids[t] = r.nextInt(c.vocabSize());
            data.add(new TokenizedExample(ids, ids.clone(), "bench"));
        }
        TrainConfig cfg = new TrainConfig(SHAPE.micro(), globalBatch, null, steps + warmup, 1e-4, TrainConfig.Schedule.CONSTANT, 0, 0.0, 0.0, TrainConfig.Optimizer.ADAMW8BIT,
                0.9, 0.999, 1e-8, 1.0, 0, 0, 1, 1L, false, List.of(), 8, 0);
        Trainer.PhaseTimes[] atWarmup = {Trainer.PhaseTimes.ZERO};
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long[] cpuAtWarmup = {0};
        Trainer[] trainer = new Trainer[1];
        GangHooks hooks = new GangHooks(comm, 0) {
            @Override
            public void afterStep(long step, TrainableParameters params) {
                super.afterStep(step, params);
                if (step == warmup) {
                    atWarmup[0] = trainer[0].phaseTimes();
                    cpuAtWarmup[0] = cpu.getCurrentThreadCpuTime();
                }
            }
        };
        String runDir = Files.createTempDirectory("lora4j-bench-gang").toString();
        trainer[0] = new Trainer(cfg, p, new AdamW8bit(p, AdamWSettings.defaults()), s -> 1e-4, data, List.of(), 0, runDir, "bench", hooks,
                new PrintStream(OutputStream.nullOutputStream())).showProgress(false);
        trainer[0].run(false, Long.MAX_VALUE);
        long cpuEnd = cpu.getCurrentThreadCpuTime(); // includes the final checkpoint: an upper bound
        Trainer.PhaseTimes a = atWarmup[0], b = trainer[0].phaseTimes();
        double k = 1e6 * (b.steps() - a.steps());
        double data0 = (b.dataNanos() - a.dataNanos()) / k, compute = (b.computeNanos() - a.computeNanos()) / k;
        double reduce = (b.allReduceNanos() - a.allReduceNanos()) / k, opt = (b.optimizerNanos() - a.optimizerNanos()) / k;
        return String.format(java.util.Locale.ROOT, "%d,%f,%f,%f,%f,%f,%f", comm.rank(), data0 + compute + reduce + opt, data0, compute, reduce, opt,
                (cpuEnd - cpuAtWarmup[0]) / k);
    }
}
