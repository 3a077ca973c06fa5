package io.lora4j.cli;

import io.lora4j.core.data.PromptTemplate;
import io.lora4j.core.io.HadoopFs;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.data.PrepareConfig;
import io.lora4j.data.PrepareJob;
import io.lora4j.data.PreparedDataset;
import io.lora4j.export.Exporter;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.lora.AdapterLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lora4j run RUN.yaml}: prepare → train → export from one config. The dataset is skipped when its manifest
 * records the same content hash, training resumes from the newest checkpoint (a finished run is not redone), and
 * the export is skipped when the adapter and the export settings are those it was written from.
 */
@Command(name = "run", description = "prepare → train → export from one config; skips finished stages and resumes training.")
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Run config YAML") Path config;
    @Option(names = "--set", description = "Override a config key (repeatable)") List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        return run(RunConfig.load(config, overrides));
    }

    static int run(RunConfig cfg) throws Exception {
        if (!HadoopFs.isLocal(cfg.outputDir())) {
            throw new IllegalArgumentException("output_dir = " + cfg.outputDir() + ": `run` needs a local or shared-mount directory for now "
                    + "(the export writes local files); `prepare` and `train` accept Hadoop FileSystem URIs");
        }
        if (cfg.demo() != null) {
            io.lora4j.cli.demo.DemoBase.ensureBase(Path.of(cfg.demo().dataDir()), Path.of(cfg.baseModel()), cfg.demo().pretrainSteps(),
                    cfg.demo().instructions(), System.out);
        }
        BaseModel base = ModelLoader.load(Path.of(cfg.baseModel()));
        Tokenizer tok = base.requireTokenizer();
        RunConfig.Data data = cfg.data();
        String dataset = data.prepared();
        if (dataset == null) {
            dataset = HadoopFs.join(cfg.outputDir(), "dataset");
            String hash = sha(data + "|" + tok.fingerprint());
            boolean fresh = HadoopFs.exists(HadoopFs.join(dataset, "manifest.pb")) && PreparedDataset.manifest(dataset).getContentHash().equals(hash);
            if (fresh) {
                System.out.println("== prepare: " + dataset + " is up to date (same data settings and tokenizer): skipped");
            } else {
                System.out.println("== prepare → " + dataset);
                PrepareConfig pc = data.prepareConfig();
                Path tokPath = cfg.tokenizer() != null ? Path.of(cfg.tokenizer()) : Path.of(cfg.baseModel());
                PrepareJob.validate(pc, tokPath.toString());
                var spark = PrepareJob.localSession(cfg.distributed().master());
                try {
                    PrepareJob.run(spark, pc, tokPath.toString(), dataset, hash, System.out, System.err);
                } finally {
                    spark.stop();
                }
            }
        }
        System.out.println("== train (resumes from the newest checkpoint when there is one)");
        RunConfig trainCfg = new RunConfig(cfg.name(), cfg.baseModel(), cfg.tokenizer(), cfg.outputDir(),
                new RunConfig.Data(List.of(), dataset, data.template(), data.cutoffLen(), data.truncate(), data.valSize(), data.trainOnInputs(),
                        data.packing(), data.dedup(), data.seed()), cfg.lora(), cfg.train(), cfg.distributed(), cfg.export(), cfg.compare(), cfg.demo());
        TrainingSession.Outcome out = TrainingSession.run(trainCfg, true, Long.MAX_VALUE, System.out);
        Path exportDir = Path.of(cfg.outputDir()).resolve("export");
        String exportHash = sha(cfg.export() + "|" + cfg.baseModel() + "|" + sha(java.util.HexFormat.of().formatHex(
                Files.exists(out.adapterDir().resolve("adapter_model.safetensors")) ? Files.readAllBytes(out.adapterDir().resolve("adapter_model.safetensors")) : new byte[0])));
        Path stamp = exportDir.resolve(".export-hash");
        if (!cfg.export().types().isEmpty() && cfg.lora() != null && Files.exists(stamp) && Files.readString(stamp).equals(exportHash)) {
            System.out.println("== export: " + exportDir + " is up to date (same adapter and export settings): skipped");
        } else if (!cfg.export().types().isEmpty() && cfg.lora() != null) {
            System.out.println("== export → " + exportDir);
            List<QuantPreset> types = cfg.export().types().stream().map(QuantPreset::parse).toList();
            List<int[]> eval = new ArrayList<>(), evalLabels = new ArrayList<>();
            var spark = PrepareJob.localSession("local[1]");
            try {
                for (var e : PreparedDataset.read(spark, dataset).val()) {
                    if (eval.size() == 16) break;
                    eval.add(e.inputIds());
                    evalLabels.add(e.labels());
                }
            } finally {
                spark.stop();
            }
            var rows = Exporter.export(base, AdapterLoader.load(out.adapterDir(), base.config(), 1f), exportDir,
                    new Exporter.Options(types, cfg.export().adapterGguf(), cfg.export().hf(), true, eval, evalLabels, Runtime.getRuntime().availableProcessors()), System.out);
            String table = Exporter.table(rows) + "(perplexity over the trained tokens, the responses, of up to 16 validation examples)\n";
            Files.writeString(exportDir.resolve("quality.md"), table);
            writeModelfile(exportDir, types.get(0), PromptTemplate.resolve(data.template()));
            Files.writeString(stamp, exportHash);
            System.out.print(table);
        }
        if (cfg.compare() != null && cfg.lora() != null) {
            System.out.println("== compare: base model vs fine-tuned, greedy");
            Comparison.run(base, AdapterLoader.load(out.adapterDir(), base.config(), 1f), PromptTemplate.resolve(data.template()),
                    Comparison.read(Path.of(cfg.compare().prompts())), cfg.compare().maxNewTokens(), out.runDir(), System.out);
        }
        Path report = RunReport.write(out.runDir());
        System.out.printf("%ndone. run directory %s%n  adapter (PEFT)  %s%n  report          %s%n", out.runDir(), out.adapterDir(), report);
        if (!cfg.export().types().isEmpty()) {
            Path gguf = exportDir.resolve("model." + QuantPreset.parse(cfg.export().types().get(0)).name() + ".gguf");
            String prompt = PromptTemplate.resolve(data.template()).prompt("Your instruction here", "").replace("\n", "\\n");
            System.out.printf("try it in llama.cpp (the prompt in the training template; -e turns \\n into newlines):%n  llama-cli -m %s -e -p \"%s\" -n 64 --temp 0%n",
                    gguf, prompt);
        }
        return 0;
    }

    /** An Ollama Modelfile for the first exported type, with the training prompt template (`ollama create NAME -f Modelfile`). */
    static void writeModelfile(Path exportDir, QuantPreset type, PromptTemplate template) throws java.io.IOException {
        String prompt = template.prompt("{{ .Prompt }}", "");
        Files.writeString(exportDir.resolve("Modelfile"), "FROM ./model." + type.name() + ".gguf\n"
                + "# the prompt format the model was fine-tuned with; answers end with the tokenizer's EOS\n"
                + "TEMPLATE \"\"\"" + prompt + "\"\"\"\n"
                + "PARAMETER temperature 0\n");
    }

    private static String sha(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    }
}
