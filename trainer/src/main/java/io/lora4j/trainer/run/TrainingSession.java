package io.lora4j.trainer.run;

import io.lora4j.core.io.HadoopFs;
import io.lora4j.data.PreparedDataset;
import io.lora4j.data.PromptTemplates;
import io.lora4j.data.TokenizedExample;
import io.lora4j.core.io.LocalCopy;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.model.TokenizerLocator;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.lora.AdapterReport;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraConfig;
import io.lora4j.lora.PeftAdapterIO;
import io.lora4j.trainer.ParameterOptimizer;
import io.lora4j.trainer.TrainConfig;
import io.lora4j.trainer.Trainer;
import io.lora4j.trainer.optim.AdamW;
import io.lora4j.trainer.optim.AdamW8bit;
import io.lora4j.trainer.optim.AdamWSettings;
import io.lora4j.trainer.optim.LrSchedules;
import io.lora4j.trainer.params.FullParameters;
import io.lora4j.trainer.params.LoraParameters;
import io.lora4j.trainer.params.TrainableParameters;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * One training process (or one gang member) of a run: reads the run's prepared dataset, loads the base model, builds
 * the adapter (or trains all weights), the optimizer and the loop, and writes the outputs. {@link TrainStage} decides
 * the dataset and checks a resume before this runs.
 */
public final class TrainingSession {
    public record Outcome(Trainer.Result result, Path adapterDir, Path runDir, List<AdapterReport.Row> report) {}

    /** Examples of a prepared dataset. */
    public record Split(List<TokenizedExample> train, List<TokenizedExample> val) {}

    private TrainingSession() {}

    /**
     * @param cfg      the run, with {@code data.prepared} set to its dataset
     * @param settings the run's trajectory settings ({@link RunConfig#trajectorySettings}), recorded in checkpoints
     * @param userYaml the config as the user gave it, written to the run directory's config.yaml
     */
    public static Outcome run(RunConfig cfg, String settings, String userYaml, boolean resume, long stopAfter, PrintStream log,
                              io.lora4j.trainer.dist.Communicator comm) throws Exception {
        // on a cluster the base model is usually on HDFS: each machine copies it once into its local cache
        Optional<Path> tokenizer = cfg.tokenizer() == null ? Optional.empty() : Optional.of(LocalCopy.of(cfg.tokenizer()));
        BaseModel base = ModelLoader.load(LocalCopy.of(cfg.baseModel()), baseDtype(cfg), tokenizer);
        Tokenizer tok = base.requireTokenizer();
        Split data = fromPrepared(cfg.data().prepared(), tok, log);
        if (data.train().isEmpty()) throw new IllegalArgumentException("no training examples in " + cfg.data().prepared() + ": check data.sources and cutoff_len");
        warnIfLongerThanContext(cfg.data().cutoffLen(), base.config().contextLength(), log);
        TrainConfig tc = cfg.train();
        LlamaModel baseModel = new LlamaModel(base.config(), base.weights());
        TrainableParameters params;
        LoraAdapter adapter = null;
        if (cfg.lora() != null) {
            adapter = LoraAdapter.create(base.config(), LoraConfig.of(cfg.lora().r(), cfg.lora().alpha().floatValue(), cfg.lora().dropout().floatValue(), cfg.lora().targets(),
                    cfg.lora().rslora()), tc.seed());
            params = new LoraParameters(baseModel, adapter);
        } else {
            params = new FullParameters(baseModel);
        }
        AdamWSettings st = new AdamWSettings(tc.beta1(), tc.beta2(), tc.eps(), tc.weightDecay());
        ParameterOptimizer opt = tc.optimizer() == TrainConfig.Optimizer.ADAMW8BIT ? new AdamW8bit(params, st) : new AdamW(params, st);
        long total = Trainer.totalSteps(tc, data.train().size());
        var schedule = LrSchedules.of(tc.schedule().key(), tc.lr(), LrSchedules.warmupSteps(tc.warmupSteps(), tc.warmupRatio(), total), total);
        // checkpoints and metrics go straight to output_dir (any Hadoop FileSystem); the files written with java.nio
        // (config, adapter, report) are staged locally when output_dir is remote and copied there at the end
        String runUri = cfg.outputDir();
        boolean remote = !HadoopFs.isLocal(runUri);
        Path runDir = remote ? Files.createTempDirectory("lora4j-run-") : Path.of(runUri.startsWith("file:") ? java.net.URI.create(runUri).getPath() : runUri);
        Files.createDirectories(runDir);
        if (comm.rank() == 0) Files.writeString(runDir.resolve("config.yaml"), userYaml);
        int pad = tok.padId() >= 0 ? tok.padId() : Math.max(tok.unkId(), 0);
        log.printf("training %s on %s: %,d trainable parameters (%s), optimizer %s (%,d state bytes), %d steps%n", cfg.name(), base.name(),
                params.parameters().length(), cfg.lora() != null ? "LoRA r=" + cfg.lora().r() + " on " + cfg.lora().targets() : "all weights",
                tc.optimizer().key(), opt.stateBytes(), total);
        var template = PromptTemplates.resolve(cfg.data(), tok, TokenizerLocator.locate(LocalCopy.of(cfg.baseModel()), tokenizer).toString());
        TrainableParameters p = params;
        Trainer.Hooks hooks = new io.lora4j.trainer.dist.GangHooks(comm, 10) {
            @Override
            public List<String> samples(TrainableParameters ignored) {
                List<String> out = new ArrayList<>();
                for (String prompt : tc.samplePrompts()) out.add(GreedyAnswer.of(p.model(), tok, template, prompt, "", tc.sampleMaxTokens()));
                return out;
            }
        };
        Trainer trainer = new Trainer(tc, params, opt, schedule, data.train(), data.val(), pad, remote ? runUri : runDir.toString(), settings, hooks, log);
        Trainer.Result result = trainer.run(resume, stopAfter);
        if (result.tokensPerSecond() == 0 && result.steps() >= total) {
            log.printf("%ntraining was already complete (%d/%d steps): nothing to do; its losses are in metrics.jsonl and report.html%n", result.steps(), total);
        } else {
            String val = Double.isNaN(result.firstValLoss()) ? String.format("%.4f", result.lastValLoss()) // resumed: the first value is in metrics.jsonl
                    : String.format("%.4f → %.4f", result.firstValLoss(), result.lastValLoss());
            log.printf("%nfinished %d/%d steps: validation loss %s, %.0f tokens/s (training steps; as in metrics.jsonl and report.html)%n", result.steps(), total,
                    val, result.tokensPerSecond());
        }
        Path adapterDir = runDir.resolve("adapter");
        List<AdapterReport.Row> rows = List.of();
        if (adapter != null && comm.rank() == 0) {
            PeftAdapterIO.save(adapterDir, adapter, cfg.baseModel());
            rows = AdapterReport.rows(adapter, base.weights());
            String report = AdapterReport.format(rows);
            Files.writeString(runDir.resolve("adapter_report.md"), report);
            if (!AdapterReport.untrained(rows).isEmpty()) log.print(report);
            log.println("adapter (PEFT layout): " + adapterDir);
        }
        if (comm.rank() == 0) {
            log.println("report: " + RunReport.write(runDir, remote ? runUri : runDir.toString()));
            if (remote) {
                HadoopFs.copyEntriesFromLocal(runDir, runUri);
                log.println("adapter, report and config copied to " + runUri + " (local copy: " + runDir + ")");
            }
        }
        return new Outcome(result, adapterDir, runDir, rows);
    }

    /** Examples from a dataset written by `lora4j prepare` (or by train/run), refused when its tokenizer is not the base model's. */
    static Split fromPrepared(String uri, Tokenizer tok, PrintStream log) throws IOException {
        // read without Spark: a gang task runs inside an executor (or the driver's JVM in local mode), where starting
        // and stopping a session of its own would be refused or would stop the gang's own SparkContext
        PreparedDataset.Content c = PreparedDataset.open(uri);
        PreparedDataset.requireTokenizer(c.manifest(), uri, tok.fingerprint());
        log.printf("data: %s: %d train, %d validation examples%n", uri, c.train().size(), c.val().size());
        return new Split(c.train(), c.val());
    }

    /**
     * How the frozen base is held: {@code train.base_dtype} for LoRA (auto: as the file stores it); full fine-tuning
     * trains the base itself, in fp32.
     */
    static io.lora4j.core.model.BaseDtype baseDtype(RunConfig cfg) {
        io.lora4j.core.model.BaseDtype d = cfg.train().baseDtype();
        if (cfg.lora() != null) return d;
        if (d != io.lora4j.core.model.BaseDtype.AUTO && d != io.lora4j.core.model.BaseDtype.F32) {
            throw new io.lora4j.core.config.ConfigException("train.base_dtype = " + d.key() + " needs a lora: section; full fine-tuning trains the base weights in fp32");
        }
        return io.lora4j.core.model.BaseDtype.F32;
    }

    /** cutoff_len longer than the positions the model was trained for: the extra positions are extrapolation. */
    static void warnIfLongerThanContext(int cutoffLen, int contextLength, PrintStream log) {
        if (contextLength > 0 && cutoffLen > contextLength) {
            String msg = "data.cutoff_len = " + cutoffLen + " is longer than the model's context length " + contextLength
                    + ": examples longer than " + contextLength + " tokens go past the positions it was trained for";
            if (Boolean.getBoolean("lora4j.strict")) throw new IllegalArgumentException(msg + " (refused: --strict)");
            log.println("warning: " + msg);
        }
    }
}
