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
        TrainStage.run(cfg, workers != null ? workers : cfg.distributed().workers(), resume, stopAfter, System.out);
        return 0;
    }
}
