package io.lora4j.cli;

import java.io.IOException;
import io.lora4j.trainer.run.RunConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lora4j demo} = {@code lora4j run configs/demo.yaml}: everything from nothing on a laptop (see the config's
 * comments). The options are shortcuts for {@code --set} overrides of that file.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "run configs/demo.yaml: build a tiny base model, fine-tune it on a generated instruction set, compare answers, export GGUF.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--config", description = "Demo config (default: configs/demo.yaml here or beside the lora4j installation)") Path config;
    @Option(names = "--pretrain-steps", description = "Pretraining steps of the base model (demo.pretrain_steps)") Integer pretrainSteps;
    @Option(names = "--finetune-steps", description = "LoRA fine-tuning steps (train.max_steps)") Integer finetuneSteps;
    @Option(names = "--fresh", description = "Delete the demo's output directory first (rebuilds the base model too)") boolean fresh;
    @Option(names = "--set", description = "Override a config key (repeatable)") List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Path file = config != null ? config : locate();
        List<String> sets = new ArrayList<>(overrides);
        if (pretrainSteps != null) sets.add("demo.pretrain_steps=" + pretrainSteps);
        if (finetuneSteps != null) sets.add("train.max_steps=" + finetuneSteps);
        RunConfig cfg = Configs.load(file, sets);
        if (cfg.demo() == null) throw new IllegalArgumentException(file + ": not a demo config (no demo: section); use `lora4j run` for other configs");
        if (fresh) deleteTree(Path.of(cfg.outputDir()));
        System.out.println("lora4j demo: run " + file + (sets.isEmpty() ? "" : " --set " + String.join(" --set ", sets)));
        int rc = RunCommand.run(cfg);
        System.out.printf("demo finished in %.1f min%n", (System.nanoTime() - t0) / 6e10);
        return rc;
    }

    /** configs/demo.yaml in the working directory, else in the installation the jar belongs to (cli/target/../..). */
    private static Path locate() throws Exception {
        Path here = Path.of("configs", "demo.yaml");
        if (Files.exists(here)) return here;
        Path jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path installed = jar.getParent().getParent().getParent().resolve("configs").resolve("demo.yaml");
        if (Files.exists(installed)) return installed;
        throw new IllegalArgumentException("configs/demo.yaml not found in " + Path.of("").toAbsolutePath() + " nor in " + installed.getParent() + "; pass --config");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        Path abs = dir.toAbsolutePath().normalize();
        if (Path.of("").toAbsolutePath().normalize().startsWith(abs)) throw new IllegalArgumentException("--fresh: refusing to delete " + abs + ", which contains the working directory");
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
