package io.lora4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lora4j train --config run.yaml}: LoRA (or full) fine-tuning with checkpoints, resumable. */
@Command(name = "train", description = "Fine-tune a base model (LoRA or full) as described by a run config.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, description = "Run config YAML")
    Path config;

    @Option(names = "--set", description = "Override a config key: --set train.lr=1e-4 (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "Continue from the newest checkpoint in the run directory")
    boolean resume;

    @Option(names = "--stop-after", defaultValue = "9223372036854775807", description = "Stop (with a checkpoint) after this many steps")
    long stopAfter;

    @Option(names = "--workers", description = "Data-parallel workers (overrides distributed.workers)")
    Integer workers;

    @Override
    public Integer call() throws Exception {
        RunConfig cfg = RunConfig.load(config, overrides);
        int n = workers != null ? workers : cfg.distributed().workers();
        if (n <= 1) {
            TrainingSession.run(cfg, resume, stopAfter, System.out);
            return 0;
        }
        // one Spark barrier stage, one task per worker; each task rebuilds the run from the config text
        String yaml = cfg.toYaml();
        var spark = org.apache.spark.sql.SparkSession.builder().appName("lora4j-train").config("spark.ui.enabled", "false")
                .master(System.getProperty("spark.master", cfg.distributed().master())).getOrCreate();
        try {
            io.lora4j.trainer.dist.Gang.run(spark, n, cfg.distributed().maxAttempts(), resume, 120_000, cfg.distributed().backend(), (comm, r) -> {
                RunConfig c = RunConfig.bind(new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(yaml), "config");
                java.io.PrintStream log = comm.rank() == 0 ? System.out : new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
                TrainingSession.run(c, r, Long.MAX_VALUE, log, comm);
                return "rank " + comm.rank() + " done";
            });
        } finally {
            spark.stop();
        }
        return 0;
    }
}
