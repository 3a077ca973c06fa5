package io.lora4j.cli;

import io.lora4j.core.data.InstructionRecord;
import io.lora4j.core.data.PromptTemplate;
import io.lora4j.core.io.HadoopFs;
import io.lora4j.core.io.LocalCopy;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.ModelLoader;
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

/** One training run from a {@link RunConfig}: data, base model, adapter (or full weights), optimizer, loop, outputs. */
final class TrainingSession {
    record Outcome(Trainer.Result result, Path adapterDir, Path runDir, List<AdapterReport.Row> report) {}

    private TrainingSession() {}

    static Outcome run(RunConfig cfg, boolean resume, long stopAfter, PrintStream log) throws Exception {
        return run(cfg, resume, stopAfter, log, new io.lora4j.trainer.dist.LocalCommunicator());
    }

    /** One gang member's run (rank 0 writes checkpoints, metrics and the adapter). */
    static Outcome run(RunConfig cfg, boolean resume, long stopAfter, PrintStream log, io.lora4j.trainer.dist.Communicator comm) throws Exception {
        // on a cluster the base model is usually on HDFS: each machine copies it once into its local cache
        Optional<Path> tokenizer = cfg.tokenizer() == null ? Optional.empty() : Optional.of(LocalCopy.of(cfg.tokenizer()));
        BaseModel base = ModelLoader.load(LocalCopy.of(cfg.baseModel()), org.nd4j.linalg.api.buffer.DataType.FLOAT, tokenizer);
        Tokenizer tok = base.requireTokenizer();
        DirectDataset.Split data = cfg.data().prepared() != null ? fromPrepared(cfg.data().prepared(), tok, log) : DirectDataset.load(cfg.data(), tok, log);
        if (data.train().isEmpty()) throw new IllegalArgumentException("no training examples left after filtering: check data.sources and cutoff_len");
        TrainConfig tc = cfg.train();
        LlamaModel baseModel = new LlamaModel(base.config(), base.weights());
        TrainableParameters params;
        LoraAdapter adapter = null;
        if (cfg.lora() != null) {
            adapter = LoraAdapter.create(base.config(), LoraConfig.of(cfg.lora().r(), cfg.lora().alpha(), cfg.lora().dropout(), cfg.lora().targets(), cfg.lora().rslora()), tc.seed());
            params = new LoraParameters(baseModel, adapter);
        } else {
            params = new FullParameters(baseModel);
        }
        AdamWSettings st = new AdamWSettings(tc.beta1(), tc.beta2(), tc.eps(), tc.weightDecay());
        ParameterOptimizer opt = tc.optimizer().equals("adamw8bit") ? new AdamW8bit(params, st) : new AdamW(params, st);
        long total = Trainer.totalSteps(tc, data.train().size());
        var schedule = LrSchedules.of(tc.schedule(), tc.lr(), LrSchedules.warmupSteps(tc.warmupSteps(), tc.warmupRatio(), total), total);
        // checkpoints and metrics go straight to output_dir (any Hadoop FileSystem); the files written with java.nio
        // (config, adapter, report) are staged locally when output_dir is remote and copied there at the end
        String runUri = cfg.outputDir();
        boolean remote = !HadoopFs.isLocal(runUri);
        Path runDir = remote ? Files.createTempDirectory("lora4j-run-") : Path.of(runUri.startsWith("file:") ? java.net.URI.create(runUri).getPath() : runUri);
        Files.createDirectories(runDir);
        Files.writeString(runDir.resolve("config.yaml"), cfg.toYaml());
        int pad = tok.padId() >= 0 ? tok.padId() : Math.max(tok.unkId(), 0);
        log.printf("training %s on %s: %,d trainable parameters (%s), optimizer %s (%,d state bytes), %d steps%n", cfg.name(), base.name(),
                params.parameters().length(), cfg.lora() != null ? "LoRA r=" + cfg.lora().r() + " on " + cfg.lora().targets() : "all weights",
                tc.optimizer(), opt.stateBytes(), total);
        PromptTemplate template = PromptTemplate.resolve(cfg.data().template());
        TrainableParameters p = params;
        Trainer.Hooks hooks = new io.lora4j.trainer.dist.GangHooks(comm, 10) {
            @Override
            public List<String> samples(TrainableParameters ignored) {
                List<String> out = new ArrayList<>();
                for (String prompt : tc.samplePrompts()) out.add(Comparison.answer(p.model(), tok, template, prompt, "", tc.sampleMaxTokens()));
                return out;
            }
        };
        Trainer trainer = new Trainer(tc, params, opt, schedule, data.train(), data.val(), pad, remote ? runUri : runDir.toString(), configHash(cfg, tok), hooks, log);
        Trainer.Result result = trainer.run(resume, stopAfter);
        if (result.tokensPerSecond() == 0 && result.steps() >= total) {
            log.printf("%ntraining was already complete (%d/%d steps): nothing to do; its losses are in metrics.jsonl and report.html%n", result.steps(), total);
        } else {
            log.printf("%nfinished %d/%d steps: validation loss %.4f → %.4f, %.0f tokens/s%n", result.steps(), total, result.firstValLoss(), result.lastValLoss(),
                    result.tokensPerSecond());
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

    /** Examples from a dataset written by `lora4j prepare`, refused when its tokenizer is not the base model's. */
    static DirectDataset.Split fromPrepared(String uri, Tokenizer tok, PrintStream log) throws IOException {
        io.lora4j.core.proto.DatasetManifest m = io.lora4j.data.PreparedDataset.manifest(uri);
        if (!m.getTokenizerFingerprint().equals(tok.fingerprint())) {
            throw new IllegalArgumentException(uri + " was tokenized with another tokenizer (fingerprint " + m.getTokenizerFingerprint().substring(0, 12)
                    + "…, the base model's is " + tok.fingerprint().substring(0, 12) + "…): run `lora4j prepare` again with this base model");
        }
        // read without Spark: a gang task runs inside an executor (or the driver's JVM in local mode), where starting
        // and stopping a session of its own would be refused or would stop the gang's own SparkContext
        io.lora4j.data.PreparedDataset.Content c = io.lora4j.data.PreparedDataset.open(uri);
        List<io.lora4j.trainer.data.TokenizedExample> train = new ArrayList<>(), val = new ArrayList<>();
        for (var e : c.train()) train.add(new io.lora4j.trainer.data.TokenizedExample(e.inputIds(), e.labels(), e.source()));
        for (var e : c.val()) val.add(new io.lora4j.trainer.data.TokenizedExample(e.inputIds(), e.labels(), e.source()));
        log.printf("data: prepared dataset %s: %d train, %d validation examples%n", uri, train.size(), val.size());
        return new DirectDataset.Split(train, val, train.size() + val.size(), 0, 0, 0);
    }

    /** What must not change across a resume: base model, tokenizer, LoRA and optimizer settings, data settings. */
    static String configHash(RunConfig cfg, Tokenizer tok) throws IOException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            TrainConfig t = cfg.train();
            String key = cfg.baseModel() + "|" + tok.fingerprint() + "|" + cfg.lora() + "|" + cfg.data() + "|" + t.microBatch() + "," + t.batch() + ","
                    + t.optimizer() + "," + t.seed() + "," + t.lr() + "," + t.schedule() + "," + t.maxSteps() + "," + t.epochs();
            return HexFormat.of().formatHex(d.digest(key.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
