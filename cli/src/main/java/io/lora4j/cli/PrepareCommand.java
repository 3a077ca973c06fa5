package io.lora4j.cli;

import io.lora4j.core.io.HadoopFs;
import io.lora4j.core.io.LocalCopy;
import io.lora4j.core.model.TokenizerLocator;
import io.lora4j.data.Datasets;
import io.lora4j.data.PrepareConfig;
import io.lora4j.trainer.run.RunConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lora4j prepare}: instruction data → tokenized, masked, split Parquet shards (a Spark job, or in this process). */
@Command(name = "prepare", mixinStandardHelpOptions = true,
        description = "Tokenize, mask, deduplicate and split instruction data into Parquet shards (a Spark job; --local: in this process, same rows).")
final class PrepareCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, description = "Run config YAML (its data: section; base_model/tokenizer and output_dir as defaults)") Path config;
    @Option(names = "--set", description = "Override a config key (repeatable); without --config, data.* keys") List<String> overrides = new ArrayList<>();
    @Option(names = "--input", description = "Input URI (file, directory or glob on any Hadoop FileSystem); repeatable, replaces data.sources") List<String> inputs = new ArrayList<>();
    @Option(names = "--model", description = "Base model or tokenizer whose tokenizer to use (default: tokenizer / base_model of the config)") String model;
    @Option(names = "--out", description = "Output dataset URI (default: <output_dir>/dataset)") String out;
    @Option(names = "--master", description = "Spark master (default: local[*], or what spark-submit sets)") String master;
    @Option(names = "--local", description = "Run the prepare logic in this process without Spark (small data; the same rows as the Spark job)") boolean local;
    @Option(names = "--force", description = "Replace an existing dataset at --out") boolean force;

    @Override
    public Integer call() throws Exception {
        PrepareConfig data;
        String tokenizer = model, outUri = out;
        if (config != null) {
            RunConfig cfg = Configs.load(config, overrides);
            data = cfg.data();
            if (tokenizer == null) tokenizer = cfg.tokenizer() != null ? cfg.tokenizer() : cfg.baseModel();
            if (outUri == null) outUri = HadoopFs.join(cfg.outputDir(), "dataset");
            if (!inputs.isEmpty()) data = data.withSources(inputs.stream().map(PrepareConfig.Source::of).toList());
        } else {
            data = RunConfig.dataFromOverrides(inputs, overrides);
        }
        data.requireSources();
        if (tokenizer == null) throw new IllegalArgumentException("no tokenizer: pass --model or a config with base_model");
        if (outUri == null) throw new IllegalArgumentException("no output: pass --out or a config with output_dir");
        requireReplaceable(outUri, force);
        Path tokPath = TokenizerLocator.locate(LocalCopy.of(tokenizer), Optional.empty()); // a model on HDFS is copied to the local cache once
        String fingerprint = Datasets.tokenizer(tokPath.toString()).fingerprint();
        String spark = master != null ? master : System.getProperty("spark.master", "local[*]");
        Datasets.build(data, tokPath.toString(), outUri, Datasets.contentHash(data, fingerprint), local ? Datasets.Runner.LOCAL : Datasets.Runner.SPARK, spark,
                System.out, System.err);
        System.out.println("dataset: " + outUri);
        return 0;
    }

    /** An existing dataset (or anything else) at the output is replaced only with --force; a file there is refused either way. */
    static void requireReplaceable(String outUri, boolean force) throws java.io.IOException {
        if (!HadoopFs.exists(outUri)) return;
        if (!HadoopFs.isDirectory(outUri)) throw new IllegalArgumentException("--out " + outUri + " is a file, expected a dataset directory");
        if (!force && !HadoopFs.list(outUri).isEmpty()) {
            throw new IllegalArgumentException("--out " + outUri + " already exists and is not empty: pass --force to replace it");
        }
    }
}
