package io.lora4j.cli;

import io.lora4j.data.Datasets;
import io.lora4j.data.InstructionFormat;
import io.lora4j.data.PromptTemplates;
import io.lora4j.trainer.run.RunConfig;
import io.lora4j.trainer.run.RunReport;
import io.lora4j.trainer.run.TrainStage;
import io.lora4j.core.io.HadoopFs;
import io.lora4j.core.io.LocalCopy;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.data.PreparedDataset;
import io.lora4j.export.Exporter;
import io.lora4j.export.ImatrixComparison;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.lora.AdapterLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lora4j run RUN.yaml}: prepare → train → export from one config. The dataset is skipped when its manifest
 * records the same content hash, training resumes from the newest checkpoint (a finished run is not redone), and
 * the export is skipped when the adapter and the export settings are those it was written from.
 */
@Command(name = "run", mixinStandardHelpOptions = true, description = "prepare → train → export from one config; skips finished stages and resumes training.")
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Run config YAML") Path config;
    @Option(names = "--set", description = "Override a config key (repeatable)") List<String> overrides = new ArrayList<>();
    @Option(names = "--strict", description = "Refuse settings that only warn otherwise (data.cutoff_len beyond the model's context length)") boolean strict;

    @Override
    public Integer call() throws Exception {
        if (strict) System.setProperty("lora4j.strict", "true");
        return run(Configs.load(config, overrides));
    }

    static int run(RunConfig cfg) throws Exception {
        String runUri = cfg.outputDir();
        boolean remote = !HadoopFs.isLocal(runUri);
        if (cfg.demo() != null) {
            io.lora4j.cli.demo.DemoBase.ensureBase(Path.of(cfg.demo().dataDir()), Path.of(cfg.baseModel()), cfg.demo().pretrainSteps(),
                    cfg.demo().instructions(), System.out);
        }
        Path modelPath = LocalCopy.of(cfg.baseModel());
        Optional<Path> tokenizerPath = cfg.tokenizer() == null ? Optional.empty() : Optional.of(LocalCopy.of(cfg.tokenizer()));
        // prepare (a Spark job, skipped when up to date) and train (resuming from the newest checkpoint); the driver
        // holds no copy of the model while the gang trains: the weights are loaded afterwards, for export and comparison
        System.out.println("== train (resumes from the newest checkpoint when there is one)");
        TrainStage.run(cfg, cfg.distributed().workers(), true, Long.MAX_VALUE, Datasets.Runner.SPARK, System.out);
        String dataset = cfg.data().prepared() != null ? cfg.data().prepared() : HadoopFs.join(runUri, "dataset");
        Tokenizer tok = ModelLoader.tokenizer(modelPath, tokenizerPath);
        InstructionFormat template = PromptTemplates.resolve(cfg.data(), tok, io.lora4j.core.model.TokenizerLocator.locate(modelPath, tokenizerPath).toString());

        // From here on this process reads what training wrote to output_dir (through the local cache when it is remote)
        // and writes export, comparison and report into a local directory: output_dir itself, or a staging directory
        // copied to output_dir at the end.
        Path localRun = remote ? Files.createTempDirectory("lora4j-run-") : LocalCopy.of(runUri);
        Path adapterDir = cfg.lora() != null ? LocalCopy.of(HadoopFs.join(runUri, "adapter")) : null;
        BaseModel base = adapterDir == null ? null : ModelLoader.load(modelPath, org.nd4j.linalg.api.buffer.DataType.FLOAT, tokenizerPath);
        boolean exporting = !cfg.export().types().isEmpty() && adapterDir != null;
        Path exportDir = localRun.resolve("export");
        String stampUri = HadoopFs.join(HadoopFs.join(runUri, "export"), ".export-hash");
        String exportHash = !exporting ? "" : sha(io.lora4j.core.config.StrictYaml.canonical(cfg.export()) + "|" + cfg.baseModel() + "|"
                + sha(HexFormat.of().formatHex(Files.readAllBytes(adapterDir.resolve("adapter_model.safetensors")))));
        if (exporting && HadoopFs.exists(stampUri) && new String(HadoopFs.readAll(stampUri), StandardCharsets.UTF_8).equals(exportHash)) {
            System.out.println("== export: " + HadoopFs.join(runUri, "export") + " is up to date (same adapter and export settings): skipped");
        } else if (exporting) {
            System.out.println("== export → " + HadoopFs.join(runUri, "export"));
            List<QuantPreset> types = cfg.export().types().stream().map(QuantPreset::parse).toList();
            List<int[]> eval = new ArrayList<>(), evalLabels = new ArrayList<>();
            for (var row : PreparedDataset.open(dataset).val()) {
                if (eval.size() == 16) break;
                for (var e : row.examples()) { // a packed row scored example by example, as each was trained
                    if (eval.size() == 16) break;
                    eval.add(e.inputIds());
                    evalLabels.add(e.labels());
                }
            }
            var adapter = AdapterLoader.load(adapterDir, base.config(), 1f);
            var options = new Exporter.Options(types, cfg.export().adapterGguf(), cfg.export().hf(), true, eval, evalLabels, Runtime.getRuntime().availableProcessors(),
                    importanceMatrix(cfg, base, adapterDir, eval, exportDir));
            var rows = Exporter.export(base, adapter, exportDir, options, System.out);
            String table = Exporter.table(rows) + "(perplexity over the trained tokens, the responses, of up to 16 validation examples)\n";
            String imatrixRows = ImatrixComparison.withAndWithout(rows, options,
                    (dir, o) -> Exporter.export(base, adapter, dir, o, new java.io.PrintStream(java.io.OutputStream.nullOutputStream())));
            if (!imatrixRows.isEmpty()) {
                table += "\nThe same types quantized without the importance matrix (" + cfg.export().imatrix() + "), same validation tokens:\n\n" + imatrixRows;
            }
            Files.writeString(exportDir.resolve("quality.md"), table);
            writeModelfile(exportDir, types.get(0), template);
            Files.writeString(exportDir.resolve(".export-hash"), exportHash);
            System.out.print(table);
        }
        if (cfg.compare() != null && adapterDir != null) {
            System.out.println("== compare: base model vs fine-tuned, greedy");
            Comparison.run(base, AdapterLoader.load(adapterDir, base.config(), 1f), template,
                    Comparison.read(Path.of(cfg.compare().prompts())), cfg.compare().maxNewTokens(), localRun, System.out);
        }
        Path report = RunReport.write(localRun, runUri);
        if (remote) {
            HadoopFs.copyEntriesFromLocal(localRun, runUri);
        }
        String shown = remote ? runUri : localRun.toString();
        System.out.printf("%ndone. run directory %s%n  adapter (PEFT)  %s%n  report          %s%n", shown, HadoopFs.join(shown, "adapter"),
                remote ? HadoopFs.join(runUri, "report.html") : report);
        if (exporting) {
            String gguf = HadoopFs.join(HadoopFs.join(shown, "export"), "model." + QuantPreset.parse(cfg.export().types().get(0)).name() + ".gguf");
            if (template instanceof io.lora4j.data.ModelChatFormat) {
                System.out.printf("try it in llama.cpp (a chat with the model's own template, which the GGUF carries as tokenizer.chat_template):%n"
                        + "  llama-cli -m %s -cnv --jinja --temp 0%n", gguf);
            } else {
                String prompt = template.prompt("Your instruction here", "").replace("\n", "\\n");
                System.out.printf("try it in llama.cpp (the prompt in the training template; -e turns \\n into newlines):%n  llama-cli -m %s -e -p \"%s\" -n 64 --temp 0%n",
                        gguf, prompt);
            }
        }
        return 0;
    }

    /**
     * {@code export.imatrix}: a given .dat file, or ({@code data}) one computed from the validation examples on the
     * merged model (the way llama-imatrix does) and written to export/imatrix.dat.
     */
    static Path importanceMatrix(RunConfig cfg, BaseModel base, Path adapterDir, List<int[]> eval, Path exportDir) throws java.io.IOException {
        String m = cfg.export().imatrix();
        if (m == null) return null;
        if (!m.equals("data")) return LocalCopy.of(m);
        if (eval.isEmpty()) throw new IllegalArgumentException("export.imatrix = data needs validation examples: set data.val_size");
        Files.createDirectories(exportDir);
        return io.lora4j.export.DataImatrix.write(base, AdapterLoader.load(adapterDir, base.config(), 1f), eval, exportDir.resolve(io.lora4j.export.DataImatrix.FILE_NAME),
                "validation split of " + cfg.name(), System.out);
    }

    /** An Ollama Modelfile for the first exported type, with the training prompt template (`ollama create NAME -f Modelfile`). */
    static void writeModelfile(Path exportDir, QuantPreset type, InstructionFormat template) throws java.io.IOException {
        if (template instanceof io.lora4j.data.ModelChatFormat) {
            // trained on the model's own chat template: the GGUF carries it (tokenizer.chat_template) and Ollama reads it from there
            Files.writeString(exportDir.resolve("Modelfile"), "FROM ./model." + type.name() + ".gguf\n"
                    + "# fine-tuned with the model's own chat template, which this GGUF carries as tokenizer.chat_template\n"
                    + "PARAMETER temperature 0\n");
            return;
        }
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
