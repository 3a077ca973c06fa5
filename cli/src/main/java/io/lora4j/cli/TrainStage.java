package io.lora4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.lora4j.trainer.dist.Gang;
import io.lora4j.trainer.dist.GpuBinding;
import java.io.OutputStream;
import java.io.PrintStream;
import org.apache.spark.sql.SparkSession;

/**
 * The training stage shared by {@code train} and {@code run}: one process when there is one worker, else one Spark
 * barrier stage with a long-lived task per worker ({@link Gang}), each rebuilding the run from the config text.
 * Rank 0 writes checkpoints, metrics and the adapter to {@code output_dir}; what it wrote is what the caller reads.
 */
final class TrainStage {
    private TrainStage() {}

    /** Under spark-submit the master comes from spark-submit; otherwise from {@code distributed.master}. */
    static String master(RunConfig cfg) {
        return System.getProperty("spark.master", cfg.distributed().master());
    }

    static void run(RunConfig cfg, int workers, boolean resume, long stopAfter, PrintStream log) throws Exception {
        if (workers <= 1) {
            TrainingSession.run(cfg, resume, stopAfter, log);
            return;
        }
        GpuBinding.requireBackend(cfg.distributed().backend()); // before Spark starts, not once per gang attempt
        String yaml = cfg.toYaml();
        SparkSession.Builder builder = SparkSession.builder().appName("lora4j-train").config("spark.ui.enabled", "false").master(master(cfg));
        if (System.getProperty("spark.task.reaper.enabled") == null) {
            // a gang member stuck where an interrupt cannot reach it would keep its slot, and the next gang attempt could
            // not start: the task reaper ends its executor instead (Spark never does this in local mode)
            builder.config("spark.task.reaper.enabled", "true").config("spark.task.reaper.killTimeout", "120s");
        }
        SparkSession spark = builder.getOrCreate();
        try {
            log.printf("training with %d workers (one Spark barrier task each, %s all-reduce) on %s%n", workers, cfg.distributed().backend(),
                    spark.sparkContext().master());
            Gang.run(spark, workers, cfg.distributed().maxAttempts(), resume, Math.multiplyExact(cfg.distributed().timeoutSeconds(), 1000),
                    cfg.distributed().backend(), (comm, attemptResumes) -> {
                RunConfig c = RunConfig.bind(new ObjectMapper(new YAMLFactory()).readTree(yaml), "config");
                PrintStream rankLog = comm.rank() == 0 ? System.out : new PrintStream(OutputStream.nullOutputStream());
                TrainingSession.run(c, attemptResumes, stopAfter, rankLog, comm);
                return "rank " + comm.rank() + " done";
            });
        } finally {
            spark.stop();
        }
    }
}
