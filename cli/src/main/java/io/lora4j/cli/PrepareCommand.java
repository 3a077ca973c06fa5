package io.lora4j.cli;

import io.lora4j.core.io.HadoopFs;
import io.lora4j.core.io.LocalCopy;
import io.lora4j.data.PrepareConfig;
import io.lora4j.data.PrepareJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lora4j prepare}: the Spark job that turns instruction data into tokenized, masked, split Parquet shards. */
@Command(name = "prepare", description = "Tokenize, mask, deduplicate and split instruction data into Parquet shards (a Spark job).")
final class PrepareCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, description = "Run config YAML (its data: section)") Path config;
    @Option(names = "--set", description = "Override a config key (repeatable)") List<String> overrides = new ArrayList<>();
    @Option(names = "--input", description = "Input URI (file, directory or glob on any Hadoop FileSystem); repeatable, replaces data.sources") List<String> inputs = new ArrayList<>();
    @Option(names = "--model", description = "Base model or tokenizer whose tokenizer to use (default: base_model / tokenizer of the config)") String model;
    @Option(names = "--out", description = "Output dataset URI (default: <output_dir>/dataset)") String out;
    @Option(names = "--master", description = "Spark master (default: local[*], or what spark-submit sets)") String master;

    @Override
    public Integer call() throws Exception {
        RunConfig.Data data;
        String tokenizer = model, outUri = out;
        if (config != null) {
            RunConfig cfg = RunConfig.load(config, overrides);
            data = cfg.data();
            if (tokenizer == null) tokenizer = cfg.tokenizer() != null ? cfg.tokenizer() : cfg.baseModel();
            if (outUri == null) outUri = HadoopFs.join(cfg.outputDir(), "dataset");
        } else {
            data = new RunConfig.Data(List.of(), null, null, 0, null, 0, false, false, null, 0);
        }
        if (!inputs.isEmpty()) {
            List<RunConfig.Source> sources = new ArrayList<>();
            for (String i : inputs) sources.add(new RunConfig.Source(i, "auto", null));
            data = new RunConfig.Data(sources, data.prepared(), data.template(), data.cutoffLen(), data.truncate(), data.valSize(), data.trainOnInputs(),
                    data.packing(), data.dedup(), data.seed());
        }
        if (tokenizer == null) throw new IllegalArgumentException("no tokenizer: pass --model or a config with base_model");
        if (outUri == null) throw new IllegalArgumentException("no output: pass --out or a config with output_dir");
        Path tokPath = LocalCopy.of(tokenizer); // a model or tokenizer on HDFS is copied to the local cache once
        if (tokenizer.endsWith(".bin")) tokPath = tokPath.resolveSibling("tokenizer.model");
        if (!Files.exists(tokPath)) throw new IllegalArgumentException("tokenizer " + tokPath + ": no such file or directory");
        PrepareConfig pc = data.prepareConfig();
        PrepareJob.validate(pc, tokPath.toString()); // fail fast, before Spark starts
        SparkSession spark = master != null ? PrepareJob.localSession(master)
                : SparkSession.getActiveSession().isDefined() ? SparkSession.active() : PrepareJob.localSession(System.getProperty("spark.master", "local[*]"));
        try {
            PrepareJob.run(spark, pc, tokPath.toString(), outUri, "", System.out, System.err);
            System.out.println("dataset: " + outUri);
        } finally {
            spark.stop();
        }
        return 0;
    }
}
