package io.lora4j.cli;

import io.lora4j.core.config.ConfigException;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.trainer.run.RunConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Loads a run config for a command and checks the keys only the CLI's modules know (export types). */
final class Configs {
    private Configs() {}

    static RunConfig load(Path file, List<String> overrides) throws IOException {
        RunConfig cfg = RunConfig.load(file, overrides);
        for (String t : cfg.export().types()) {
            try {
                QuantPreset.parse(t);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file + ": export.types: " + e.getMessage(), e);
            }
        }
        return cfg;
    }
}
