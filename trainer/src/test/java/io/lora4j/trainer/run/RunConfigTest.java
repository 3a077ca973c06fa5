package io.lora4j.trainer.run;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.config.ConfigException;
import io.lora4j.data.PrepareConfig;
import io.lora4j.trainer.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Run configs bind strictly: every value is used exactly as written or refused before anything runs, naming key and value. */
class RunConfigTest {
    static final String GOOD = """
            name: t
            base_model: m.gguf
            data: {sources: [{path: a.json}], cutoff_len: 128}
            lora: {r: 4, alpha: 8, targets: [q_proj, v_proj]}
            train: {micro_batch: 2, batch: 8, max_steps: 10, lr: 1.0e-3}
            compare: {prompts: p.json}
            demo: {data_dir: d}
            """;

    static RunConfig load(Path dir, String yaml, String... sets) throws Exception {
        Path f = dir.resolve("run.yaml");
        Files.writeString(f, yaml);
        return RunConfig.load(f, List.of(sets));
    }

    /** How a key accepts values. */
    enum Kind { POS_INT, NONNEG_INT, POS_NUM, NONNEG_NUM, FRACTION, BOOL, ENUM, LONG, VAL_SIZE }

    record Key(String path, Kind kind, Function<RunConfig, Object> get) {}

    static final List<Key> KEYS = List.of(
            new Key("lora.r", Kind.POS_INT, c -> c.lora().r()),
            new Key("lora.alpha", Kind.POS_NUM, c -> c.lora().alpha()),
            new Key("lora.dropout", Kind.FRACTION, c -> c.lora().dropout()),
            new Key("lora.rslora", Kind.BOOL, c -> c.lora().rslora()),
            new Key("train.micro_batch", Kind.POS_INT, c -> c.train().microBatch()),
            new Key("train.epochs", Kind.POS_NUM, c -> c.train().epochs()),
            new Key("train.max_steps", Kind.POS_INT, c -> c.train().maxSteps()),
            new Key("train.lr", Kind.POS_NUM, c -> c.train().lr()),
            new Key("train.warmup_steps", Kind.NONNEG_INT, c -> c.train().warmupSteps()),
            new Key("train.warmup_ratio", Kind.FRACTION, c -> c.train().warmupRatio()),
            new Key("train.weight_decay", Kind.NONNEG_NUM, c -> c.train().weightDecay()),
            new Key("train.beta1", Kind.FRACTION, c -> c.train().beta1()),
            new Key("train.beta2", Kind.FRACTION, c -> c.train().beta2()),
            new Key("train.eps", Kind.POS_NUM, c -> c.train().eps()),
            new Key("train.grad_clip", Kind.NONNEG_NUM, c -> c.train().gradClip()),
            new Key("train.eval_every", Kind.NONNEG_INT, c -> c.train().evalEvery()),
            new Key("train.save_every", Kind.NONNEG_INT, c -> c.train().saveEvery()),
            new Key("train.keep_checkpoints", Kind.POS_INT, c -> c.train().keepCheckpoints()),
            new Key("train.seed", Kind.LONG, c -> c.train().seed()),
            new Key("train.recompute", Kind.BOOL, c -> c.train().recompute()),
            new Key("train.sample_max_tokens", Kind.POS_INT, c -> c.train().sampleMaxTokens()),
            new Key("train.max_eval_examples", Kind.NONNEG_INT, c -> c.train().maxEvalExamples()),
            new Key("train.optimizer", Kind.ENUM, c -> c.train().optimizer()),
            new Key("train.schedule", Kind.ENUM, c -> c.train().schedule()),
            new Key("train.base_dtype", Kind.ENUM, c -> c.train().baseDtype()),
            new Key("data.cutoff_len", Kind.POS_INT, c -> c.data().cutoffLen()),
            new Key("data.val_size", Kind.VAL_SIZE, c -> c.data().valSize()),
            new Key("data.truncate", Kind.ENUM, c -> c.data().truncate()),
            new Key("data.train_on_inputs", Kind.BOOL, c -> c.data().trainOnInputs()),
            new Key("data.packing", Kind.BOOL, c -> c.data().packing()),
            new Key("data.dedup", Kind.BOOL, c -> c.data().dedup()),
            new Key("data.seed", Kind.LONG, c -> c.data().seed()),
            new Key("distributed.workers", Kind.POS_INT, c -> c.distributed().workers()),
            new Key("distributed.max_attempts", Kind.POS_INT, c -> c.distributed().maxAttempts()),
            new Key("distributed.timeout_seconds", Kind.POS_INT, c -> c.distributed().timeoutSeconds()),
            new Key("distributed.backend", Kind.ENUM, c -> c.distributed().backend()),
            new Key("compare.max_new_tokens", Kind.POS_INT, c -> c.compare().maxNewTokens()),
            new Key("demo.pretrain_steps", Kind.POS_INT, c -> c.demo().pretrainSteps()),
            new Key("demo.instructions", Kind.POS_INT, c -> c.demo().instructions()));

    /**
     * The whole matrix: each key with a wrong type, a negative, a zero and an out-of-range value (and a good value).
     * null = must be refused naming the key and the value; otherwise the value the config must hold exactly.
     */
    static Map<String, Object> expectations(Kind k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("'abc'", null);
        m.put("[1, 2]", null);
        switch (k) {
            case POS_INT -> { m.put("-4", null); m.put("0", null); m.put("8.5", null); m.put("8", 8); }
            case NONNEG_INT -> { m.put("-4", null); m.put("0", 0); m.put("8.5", null); m.put("8", 8); }
            case POS_NUM -> { m.put("-4", null); m.put("0", null); m.put("8.5", 8.5); m.put(".inf", null); }
            case NONNEG_NUM -> { m.put("-4", null); m.put("0", 0.0); m.put("8.5", 8.5); m.put(".nan", null); }
            case FRACTION -> { m.put("-4", null); m.put("0", 0.0); m.put("1.5", null); m.put("1", null); m.put("0.25", 0.25); }
            case BOOL -> { m.put("-4", null); m.put("0", null); m.put("1.5", null); m.put("true", true); }
            case ENUM -> { m.put("-4", null); m.put("0", null); m.put("sideways", null); }
            case LONG -> { m.put("-4", -4L); m.put("0", 0L); m.put("8.5", null); m.put("12345678901", 12345678901L); }
            case VAL_SIZE -> { m.put("-4", null); m.put("0", 0.0); m.put("8.5", null); m.put("8", 8.0); m.put("0.1", 0.1); }
        }
        return m;
    }

    @Test
    void everyKeyIsHonouredExactlyOrRefusedNamingKeyAndValue(@TempDir Path tmp) throws Exception {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        for (Key key : KEYS) {
            for (var e : expectations(key.kind()).entrySet()) {
                cases++;
                String value = e.getKey();
                Object expected = e.getValue();
                String set = key.path() + "=" + value;
                try {
                    Object got = key.get().apply(load(tmp, GOOD, set));
                    if (expected == null) failures.add(set + ": accepted as " + got + ", expected a refusal");
                    else if (!expected.equals(got)) failures.add(set + ": holds " + got + " (" + got.getClass().getSimpleName() + "), expected " + expected);
                } catch (ConfigException ex) {
                    String shown = value.replace("'", "").replace(" ", "");
                    if (expected != null) failures.add(set + ": refused (" + ex.getMessage() + "), expected " + expected);
                    else if (!ex.getMessage().contains(key.path()) || !ex.getMessage().contains(shown.replace(".inf", "Infinity").replace(".nan", "NaN"))
                            && !ex.getMessage().contains(shown)) {
                        failures.add(set + ": message does not name the key and value: " + ex.getMessage());
                    }
                }
            }
        }
        assertTrue(cases > 200, "cases: " + cases);
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases + " cases wrong:\n" + String.join("\n", failures));
    }

    @Test
    void theIssuesExamples(@TempDir Path tmp) throws Exception {
        assertThrows(ConfigException.class, () -> load(tmp, GOOD, "lora.r=-4"));
        assertThrows(ConfigException.class, () -> load(tmp, GOOD, "lora.r=8.5"));
        assertThrows(ConfigException.class, () -> load(tmp, GOOD, "distributed.workers=-2"));
        assertEquals(0.0, load(tmp, GOOD, "train.beta1=0").train().beta1(), "an explicit 0 is honoured");
        assertEquals(0.9, load(tmp, GOOD).train().beta1(), "absent: the default");
        assertEquals(TrainConfig.Optimizer.ADAMW8BIT, load(tmp, GOOD).train().optimizer());
    }

    @Test
    void unknownKeysBatchMultiplesTargetsAndSections(@TempDir Path tmp) {
        var unknown = assertThrows(ConfigException.class, () -> load(tmp, GOOD.replace("lr: 1.0e-3", "lr: 1.0e-3, lrr: 2")));
        assertTrue(unknown.getMessage().contains("'lrr'") && unknown.getMessage().contains("run.yaml"), unknown.getMessage());
        var batch = assertThrows(ConfigException.class, () -> load(tmp, GOOD, "train.batch=5"));
        assertTrue(batch.getMessage().contains("train.batch = 5") && batch.getMessage().contains("multiple of micro_batch"), batch.getMessage());
        var opt = assertThrows(ConfigException.class, () -> load(tmp, GOOD, "train.optimizer=sgd"));
        assertTrue(opt.getMessage().contains("adamw8bit") && opt.getMessage().contains("sgd"), opt.getMessage());
        var target = assertThrows(ConfigException.class, () -> load(tmp, GOOD, "lora.targets=[qq_proj]"));
        assertTrue(target.getMessage().contains("qq_proj"), target.getMessage());
        assertThrows(ConfigException.class, () -> load(tmp, GOOD, "lora.targets=[]"));
        var top = assertThrows(ConfigException.class, () -> load(tmp, GOOD + "bogus: 1\n"));
        assertTrue(top.getMessage().contains("'bogus'"), top.getMessage());
        var prompts = assertThrows(ConfigException.class, () -> load(tmp, GOOD.replace("compare: {prompts: p.json}", "compare: {max_new_tokens: 8}")));
        assertTrue(prompts.getMessage().contains("compare.prompts"), prompts.getMessage());
        var both = assertThrows(ConfigException.class, () -> load(tmp, GOOD, "data.prepared=ds"));
        assertTrue(both.getMessage().contains("not both"), both.getMessage());
        var format = assertThrows(ConfigException.class, () -> load(tmp, GOOD.replace("{path: a.json}", "{path: a.json, format: csv}")));
        assertTrue(format.getMessage().contains("format") && format.getMessage().contains("csv") && format.getMessage().contains("sharegpt"), format.getMessage());
        var dup = assertThrows(ConfigException.class, () -> load(tmp, GOOD + "name: again\n"));
        assertTrue(dup.getMessage().contains("name"), dup.getMessage());
    }

    @Test
    void missingFileAndMalformedYamlSaySo(@TempDir Path tmp) throws Exception {
        var missing = assertThrows(ConfigException.class, () -> RunConfig.load(tmp.resolve("nope.yaml"), List.of()));
        assertEquals("config file " + tmp.resolve("nope.yaml") + " does not exist", missing.getMessage());
        var dir = assertThrows(ConfigException.class, () -> RunConfig.load(tmp, List.of()));
        assertTrue(dir.getMessage().contains("is a directory"), dir.getMessage());
        var bad = assertThrows(ConfigException.class, () -> load(tmp, "name: t\ntrain: {lr: [1, 2\nlora: {r: 4}\n"));
        assertTrue(bad.getMessage().matches("(?s).*not valid YAML at line \\d+, column \\d+.*"), bad.getMessage());
    }

    @Test
    void relativePathsResolveAgainstTheConfigFilesDirectory(@TempDir Path tmp) throws Exception {
        Path sub = Files.createDirectories(tmp.resolve("configs"));
        Path f = sub.resolve("run.yaml");
        Files.writeString(f, GOOD.replace("name: t", "name: t\ntokenizer: tok/tokenizer.model\noutput_dir: ../runs/t")
                .replace("[{path: a.json}]", "[{path: a.json}, b.jsonl, {path: 'hdfs://nn/x.json'}, {path: /abs/c.json}]")
                .replace("data: {", "data: {template: my-template.json, "));
        RunConfig c = RunConfig.load(f, List.of("distributed.workers=2"));
        assertEquals(sub.resolve("m.gguf").toString(), c.baseModel());
        assertEquals(sub.resolve("tok/tokenizer.model").toString(), c.tokenizer());
        assertEquals(tmp.resolve("runs/t").toString(), c.outputDir());
        List<String> paths = c.data().sources().stream().map(PrepareConfig.Source::uri).toList();
        assertEquals(List.of(sub.resolve("a.json").toString(), sub.resolve("b.jsonl").toString(), "hdfs://nn/x.json", "/abs/c.json"), paths);
        assertEquals(sub.resolve("my-template.json").toString(), c.data().template());
        assertEquals(sub.resolve("p.json").toString(), c.compare().prompts());
        assertEquals(sub.resolve("d").toString(), c.demo().dataDir());
        assertEquals("alpaca", load(tmp, GOOD).data().template(), "a template name is not a path");
        // --set values are the command line's: relative to the working directory, as given
        assertEquals("other.gguf", RunConfig.load(f, List.of("base_model=other.gguf")).baseModel());
    }

    @Test
    void canonicalSettingsIgnoreKeyOrderAndLeaveOutWhatMayChangeOnResume(@TempDir Path tmp) throws Exception {
        RunConfig a = load(tmp, GOOD);
        RunConfig b = load(tmp, """
                train: {lr: 1.0e-3, max_steps: 10, batch: 8, micro_batch: 2}
                lora: {targets: [q_proj, v_proj], alpha: 8, r: 4}
                data: {cutoff_len: 128, sources: [{path: a.json}]}
                base_model: m.gguf
                name: t
                """);
        assertEquals(a.trajectorySettings("fp"), b.trajectorySettings("fp"));
        RunConfig extended = load(tmp, GOOD, "train.max_steps=24", "train.eval_every=3", "train.save_every=2", "train.keep_checkpoints=5",
                "train.sample_prompts=[hi]", "train.epochs=9", "train.sample_max_tokens=3", "train.max_eval_examples=4");
        assertEquals(a.trajectorySettings("fp"), extended.trajectorySettings("fp"));
        assertNotEquals(a.trajectorySettings("fp"), load(tmp, GOOD, "train.lr=2e-3").trajectorySettings("fp"));
        assertNotEquals(a.trajectorySettings("fp"), a.trajectorySettings("other tokenizer"));
    }

    @Test
    void prepareWithoutAConfigTakesDataKeysFromSet() {
        PrepareConfig d = RunConfig.dataFromOverrides(List.of("in.json"), List.of("data.cutoff_len=64", "data.packing=true"));
        assertEquals(64, d.cutoffLen());
        assertTrue(d.packing());
        assertEquals("in.json", d.sources().get(0).uri());
        assertThrows(ConfigException.class, () -> RunConfig.dataFromOverrides(List.of("in.json"), List.of("train.lr=1")));
        assertThrows(ConfigException.class, () -> RunConfig.dataFromOverrides(List.of("in.json"), List.of("data.cutoff_len=-1")));
    }

    @Test
    void exportImatrixIsDataOrAFileRelativeToTheConfig(@TempDir Path tmp) throws Exception {
        assertNull(load(tmp, GOOD).export().imatrix());
        assertEquals("data", load(tmp, GOOD + "export: {types: [Q4_K_M], imatrix: data}\n").export().imatrix());
        assertEquals(tmp.resolve("m.dat").toString(), load(tmp, GOOD + "export: {imatrix: m.dat}\n").export().imatrix());
        assertThrows(ConfigException.class, () -> load(tmp, GOOD + "export: {imatrix: 3}\n"));
        assertThrows(ConfigException.class, () -> load(tmp, GOOD + "export: {imatrix: ''}\n"));
    }
}
