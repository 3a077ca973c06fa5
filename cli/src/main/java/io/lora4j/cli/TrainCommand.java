package io.lora4j.cli;

import io.lora4j.core.config.Check;
import io.lora4j.trainer.run.RunConfig;
import io.lora4j.trainer.run.TrainStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lora4j train --config run.yaml}: LoRA (or full) fine-tuning with checkpoints, resumable. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Fine-tune a base model (LoRA or full) as described by a run config; "
        + "data.sources are prepared first (in this process, by the same code as `prepare`) into <output_dir>/dataset.")
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

    @Option(names = "--strict", description = "Refuse settings that only warn otherwise (data.cutoff_len beyond the model's context length)")
    boolean strict;

    @Override
    public Integer call() throws Exception {
        if (strict) System.setProperty("lora4j.strict", "true");
        RunConfig cfg = Configs.load(config, overrides);
        int n = workers != null ? Check.atLeast("--workers", workers, 1, 1) : cfg.distributed().workers();
        TrainStage.run(cfg, n, resume, stopAfter, System.out);
        return 0;
    }
}
