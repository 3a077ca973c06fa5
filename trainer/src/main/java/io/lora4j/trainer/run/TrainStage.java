package io.lora4j.trainer.run;

import io.lora4j.core.io.HadoopFs;
import io.lora4j.core.io.LocalCopy;
import io.lora4j.core.model.TokenizerLocator;
import io.lora4j.core.proto.TrainingState;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.data.Datasets;
import io.lora4j.trainer.CheckpointStore;
import io.lora4j.trainer.ResumeCheck;
import io.lora4j.trainer.dist.Gang;
import io.lora4j.trainer.dist.GpuBinding;
import io.lora4j.trainer.dist.LocalCommunicator;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * The training stage shared by {@code train} and {@code run}. On the driver: checks that a resume is allowed (before
 * anything on disk changes), builds the run's dataset through {@link Datasets} (the same prepare logic for every
 * command), then trains in this process when there is one worker, else in one Spark barrier stage with a long-lived
 * task per worker ({@link Gang}), each rebuilding the run from the config text. Rank 0 writes checkpoints, metrics
 * and the adapter to {@code output_dir}; what it wrote is what the caller reads.
 */
public final class TrainStage {
    private TrainStage() {}

    /** Under spark-submit the master comes from spark-submit; otherwise from {@code distributed.master}. */
    public static String master(RunConfig cfg) {
        return System.getProperty("spark.master", cfg.distributed().master());
    }

    /** {@code train}: the dataset is prepared in this process when it is not prepared already. */
    public static void run(RunConfig cfg, int workers, boolean resume, long stopAfter, PrintStream log) throws Exception {
        run(cfg, workers, resume, stopAfter, Datasets.Runner.LOCAL, log);
    }

    public static void run(RunConfig cfg, int workers, boolean resume, long stopAfter, Datasets.Runner runner, PrintStream log) throws Exception {
        if (workers > 1) GpuBinding.requireBackend(cfg.distributed().backend().key()); // before Spark starts, not once per gang attempt
        Path tokPath = TokenizerLocator.locate(LocalCopy.of(cfg.baseModel()),
                cfg.tokenizer() == null ? Optional.empty() : Optional.of(LocalCopy.of(cfg.tokenizer())));
        Tokenizer tok = Datasets.tokenizer(tokPath.toString());
        String settings = cfg.trajectorySettings(tok.fingerprint());
        if (resume) {
            Optional<TrainingState> latest = new CheckpointStore(cfg.outputDir(), cfg.train().keepCheckpoints()).latest();
            if (latest.isPresent()) ResumeCheck.require(latest.get(), settings, HadoopFs.join(cfg.outputDir(), "checkpoints"));
        }
        String userYaml = cfg.toYaml();
        String dataset = Datasets.ensure(cfg.data(), tokPath.toString(), tok.fingerprint(), HadoopFs.join(cfg.outputDir(), "dataset"), runner, master(cfg),
                log, System.err);
        RunConfig trainCfg = cfg.withData(cfg.data().withPrepared(dataset));
        if (workers <= 1) {
            TrainingSession.run(trainCfg, settings, userYaml, resume, stopAfter, log, new LocalCommunicator());
            return;
        }
        String yaml = trainCfg.toYaml();
        SparkSession.Builder builder = SparkSession.builder().appName("lora4j-train").config("spark.ui.enabled", "false").master(master(cfg));
        if (System.getProperty("spark.task.reaper.enabled") == null) {
            // a gang member stuck where an interrupt cannot reach it would keep its slot, and the next gang attempt could
            // not start: the task reaper ends its executor instead (Spark never does this in local mode)
            builder.config("spark.task.reaper.enabled", "true").config("spark.task.reaper.killTimeout", "120s");
        }
        SparkSession spark = builder.getOrCreate();
        try {
            log.printf("training with %d workers (one Spark barrier task each, %s all-reduce) on %s%n", workers, cfg.distributed().backend().key(),
                    spark.sparkContext().master());
            Gang.run(spark, workers, cfg.distributed().maxAttempts(), resume, Math.multiplyExact(cfg.distributed().timeoutSeconds(), 1000),
                    cfg.distributed().backend().key(), (comm, attemptResumes) -> {
                RunConfig c = RunConfig.parse(yaml, "config");
                PrintStream rankLog = comm.rank() == 0 ? System.out : new PrintStream(OutputStream.nullOutputStream());
                TrainingSession.run(c, settings, userYaml, attemptResumes, stopAfter, rankLog, comm);
                return "rank " + comm.rank() + " done";
            });
        } finally {
            spark.stop();
        }
    }
}
