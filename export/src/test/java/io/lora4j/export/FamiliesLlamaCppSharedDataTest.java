package io.lora4j.export;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufTensorInfo;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.GgufCheckpoint;
import io.lora4j.core.model.KvCacheSession;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.TokenLines;
import io.lora4j.core.model.WeightSource;
import io.lora4j.core.testing.SharedData;
import io.lora4j.core.tokenizer.Tokenizers;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.lora.AdapterLoader;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraConfig;
import io.lora4j.lora.LoraModule;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Llama-3.x, Qwen2 and Mistral exports in a real llama.cpp (node-llama-cpp, {@code .ci/family-check.mjs}): the
 * family's HF base + PEFT adapter is exported as {@code lora4j export} does (F32, Q8_0, Q4_K_M and adapter.gguf), each
 * file is greedy-decoded from the family's chat prompt (token ids) by llama.cpp and by lora4j.
 *
 * <p>Needs node ({@code -Dlora4j.node=/usr/bin/node} or {@code $LORA4J_NODE}) and node-llama-cpp in .ci/node_modules
 * (.ci/run installs it); skipped without them, failed instead when both {@code -Dlora4j.requireShared=true} and
 * {@code -Dlora4j.requireLlamaCpp=true} are set.
 */
class FamiliesLlamaCppSharedDataTest {
    static final int N = 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static void unavailable(String why) {
        if (Boolean.getBoolean("lora4j.requireShared") && Boolean.getBoolean("lora4j.requireLlamaCpp")) fail(why + " (required by -Dlora4j.requireLlamaCpp=true)");
        assumeTrue(false, why);
    }

    static Path node() {
        String p = System.getProperty("lora4j.node");
        if (p == null || p.isBlank()) p = System.getenv("LORA4J_NODE");
        if (p == null || p.isBlank()) unavailable("no node: set -Dlora4j.node=/path/to/node (or $LORA4J_NODE) to run the llama.cpp checks");
        if (!Files.isExecutable(Path.of(p))) unavailable("-Dlora4j.node=" + p + " is not an executable file");
        return Path.of(p);
    }

    /** .ci/family-check.mjs, from the module directory (surefire's working directory) or the repository root. */
    static Path script() {
        for (Path ci : List.of(Path.of("..", ".ci"), Path.of(".ci"))) {
            if (Files.exists(ci.resolve("family-check.mjs"))) {
                if (!Files.isDirectory(ci.resolve("node_modules/node-llama-cpp"))) {
                    unavailable(ci.toAbsolutePath().normalize() + "/node_modules/node-llama-cpp is missing (.ci/run installs node-llama-cpp@3.22.1 there)");
                }
                return ci.resolve("family-check.mjs").toAbsolutePath().normalize();
            }
        }
        unavailable("no .ci/family-check.mjs under " + Path.of("").toAbsolutePath());
        return null;
    }

    static JsonNode llamaCpp(Path node, Path script, ObjectNode request, Path tmp) throws Exception {
        Path req = tmp.resolve("request.json"), out = tmp.resolve("report.json"), log = tmp.resolve("node.log");
        JSON.writeValue(req.toFile(), request);
        Process pr = new ProcessBuilder(node.toString(), script.toString(), req.toString(), out.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!pr.waitFor(600, TimeUnit.SECONDS)) {
            pr.destroyForcibly();
            fail("llama.cpp check timed out:\n" + Files.readString(log));
        }
        assertEquals(0, pr.exitValue(), "llama.cpp check failed:\n" + Files.readString(log));
        return JSON.readTree(out.toFile());
    }

    /** lora4j's decode: the ids fed after the prompt and the full logits at each step. */
    record Mine(int[] ids, float[][] logits) {
        float margin(int s) {
            float best = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
            for (float l : logits[s]) {
                if (l > best) {
                    second = best;
                    best = l;
                } else if (l > second) {
                    second = l;
                }
            }
            return best - second;
        }
    }

    /** llama.cpp's decode: the ids fed, each step's argmax, and the logits it reported (the two best first). */
    record Theirs(int[] ids, int[] argmax, List<Map<Integer, Float>> logits) {
        float margin(int s) {
            var it = logits.get(s).values().iterator();
            return it.next() - it.next();
        }

        float logit(int s, int token) {
            Float l = logits.get(s).get(token);
            if (l == null) throw new IllegalStateException("llama.cpp did not report token " + token + " at step " + s);
            return l;
        }

        static Theirs of(JsonNode r) {
            List<Map<Integer, Float>> logits = new ArrayList<>();
            for (JsonNode step : r.path("logits")) {
                Map<Integer, Float> m = new LinkedHashMap<>();
                for (JsonNode e : step) m.put(e.get(0).asInt(), (float) e.get(1).asDouble());
                logits.add(m);
            }
            return new Theirs(ints(r.path("ids")), ints(r.path("argmax")), logits);
        }
    }

    /** Greedy decode of N tokens (no stop at EOS, as llama.cpp's side), or the logits along {@code forced}. */
    static Mine lora4j(LlamaModel model, int[] prompt, int[] forced) {
        KvCacheSession session = new KvCacheSession(model, prompt.length + N);
        float[] logits = null;
        for (int t : prompt) logits = session.next(t);
        int[] ids = new int[N];
        float[][] all = new float[N][];
        for (int s = 0; s < N; s++) {
            all[s] = logits;
            ids[s] = forced != null ? forced[s] : argmax(logits);
            if (s + 1 < N) logits = session.next(ids[s]);
        }
        return new Mine(ids, all);
    }

    static LlamaModel load(Path gguf) throws Exception {
        BaseModel m = ModelLoader.load(gguf);
        return new LlamaModel(m.config(), m.weights());
    }

    static int argmax(float[] l) {
        int best = 0;
        for (int i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
        return best;
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    /** Length of the common prefix. */
    static int agree(int[] a, int[] b) {
        int i = 0;
        while (i < a.length && i < b.length && a[i] == b[i]) i++;
        return i;
    }

    /** Max |llama.cpp − lora4j| over the logits llama.cpp reported in the first {@code steps} steps (same prefix in both). */
    static double logitDiff(Theirs t, Mine m, int steps) {
        double d = 0;
        for (int s = 0; s < steps; s++) {
            for (var e : t.logits().get(s).entrySet()) d = Math.max(d, Math.abs(e.getValue() - m.logits()[s][e.getKey()]));
        }
        return d;
    }

    /** The first step where lora4j's top-1 margin is below {@code margin} (N if none). */
    static int firstTie(Mine m, double margin) {
        int s = 0;
        while (s < N && m.margin(s) >= margin) s++;
        return s;
    }

    static ArrayNode array(ArrayNode a, int... ids) {
        for (int t : ids) a.add(t);
        return a;
    }

    static void run(ArrayNode runs, String name, Path model, Path lora, int[] forced, int[]... watch) {
        ObjectNode r = runs.addObject().put("name", name).put("model", model.toString());
        if (lora != null) r.put("lora", lora.toString());
        if (forced != null) array(r.putArray("forced"), forced);
        ArrayNode w = r.putArray("watch");
        for (int s = 0; s < N; s++) {
            ArrayNode step = w.addArray();
            for (int[] ids : watch) step.add(ids[s]);
        }
    }

    /**
     * llama.cpp and lora4j on the same file and the same prefix: their logits (the two best of llama.cpp's and the one
     * lora4j chose) must agree within {@code bound}, and so their greedy paths must agree at least up to the first step
     * where lora4j's margin is below 2·bound (only there can two logits each off by ≤ bound swap). Returns the table cells.
     */
    static String sameFile(List<String> failures, String what, Theirs theirs, Mine mine, double bound) {
        int k = agree(theirs.ids(), mine.ids()), steps = Math.min(k + 1, N), tie = firstTie(mine, 2 * bound);
        double d = logitDiff(theirs, mine, steps);
        String cells = String.format("%d/%d | %.1e (bound %.2g) | %d", k, N, d, bound, tie);
        if (k < N) {
            int a = mine.ids()[k], b = theirs.ids()[k];
            cells += String.format(" | step %d: lora4j %d by %.4f, llama.cpp %d by %.4f", k, a, mine.logits()[k][a] - mine.logits()[k][b], b,
                    theirs.logit(k, b) - theirs.logit(k, a));
        } else {
            cells += " | ";
        }
        if (d > bound) failures.add(what + ": llama.cpp and lora4j logits differ by " + d + " > " + bound + " on the same prefix | " + cells);
        if (k < tie) failures.add(what + ": greedy paths part at step " + k + " although lora4j's margins are ≥ " + 2 * bound + " until step " + tie + " | " + cells);
        return cells;
    }

    /**
     * How far llama.cpp's logits may be from lora4j's on the same file. F32: both compute in float32 (measured ≤ 1e-5).
     * Quantized: lora4j multiplies the dequantized weights with float32 activations, while llama.cpp's CPU kernels first
     * round the activations to 8 bits (q8_0, one scale per 32 values, for Q8_0/Q5_0 weights; q8_K, one per 256, for
     * K-quants: coarser). Measured on logits of std ≈ 2: Q8_0 0.072–0.096, Q4_K_M of Q5_0 0.056–0.12, of Q4_K/Q6_K 0.14.
     */
    static double sameFileBound(QuantPreset t) {
        return t == QuantPreset.F32 ? 1e-3 : t == QuantPreset.Q8_0 ? 0.15 : 0.25;
    }

    /** Loose ceilings on llama.cpp's quantized-vs-F32 logit error along the F32 path (measured ≤ 0.28 and ≤ 1.8): a broken quantizer is far above. */
    static double quantBound(QuantPreset t) {
        return t == QuantPreset.Q8_0 ? 0.6 : 3.5;
    }

    /** The tensor types in a GGUF with their counts, e.g. "Q5_0×10 Q8_0×2 F32×5". */
    static String types(Path gguf) throws Exception {
        try (GgufFile f = GgufFile.open(gguf)) {
            Map<String, Integer> n = new java.util.TreeMap<>();
            for (GgufTensorInfo t : f.tensors()) n.merge(t.type().name(), 1, Integer::sum);
            StringBuilder b = new StringBuilder();
            n.forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k).append('×').append(v));
            return b.toString();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen2", "mistral"})
    void llamaCppDecodesTheExportsAsLora4j(String name, @TempDir Path tmp) throws Exception {
        Path node = node(), script = script();
        Path dir = SharedData.file("families/" + name);
        int[] prompt = TokenLines.readTokens(dir.resolve("tokens.txt")).get(0); // the chat-formatted prompt
        Path hf = dir.resolve("hf");
        LoraAdapter adapter;
        try (ModelSource src = ModelSource.open(hf, Optional.empty())) {
            adapter = AdapterLoader.load(dir.resolve("lora"), src.config(), 1f);
        }
        // lora4j export --model hf --adapter lora ...; llama.cpp applies adapter.gguf to its own conversion of hf/
        check(name, hf, adapter, dir.resolve("model-f32.gguf"), prompt, node, script, tmp);
    }

    /**
     * The families' rows (32, 96) are shorter than a K-quant block (256), so their Q4_K_M files hold only Q5_0 and Q8_0
     * (llama.cpp's fallback). The same check on a random Mistral-architecture model with the real tokenizer and rows
     * of 256 and 512 puts Q4_K and Q6_K tensors in front of llama.cpp's K-quant kernels.
     */
    @Test
    void llamaCppDecodesKQuantExportsAsLora4j(@TempDir Path tmp) throws Exception {
        Path node = node(), script = script();
        Path dir = SharedData.file("families/mistral");
        int[] prompt = TokenLines.readTokens(dir.resolve("tokens.txt")).get(0);
        Path base = tmp.resolve("mistral-wide.gguf");
        LlamaConfig c;
        try (GgufFile f = GgufFile.open(dir.resolve("model-f32.gguf"))) {
            LlamaConfig m = GgufCheckpoint.of(f).config();
            c = new LlamaConfig(256, 512, 2, 4, 2, 64, m.vocabSize(), m.contextLength(), m.rmsNormEps(), m.ropeTheta(), m.tiedEmbeddings(),
                    m.architecture(), m.biases(), null, 0);
            LlamaWeights w = LlamaWeights.load(c, scaledRandom(11), DataType.FLOAT);
            LlamaGgufWriter.write(base, "mistral-wide", c, w, Tokenizers.fromGguf(f.metadata(), f.path().toString()), QuantPreset.F32, 1);
        }
        LoraAdapter adapter = LoraAdapter.create(c, new LoraConfig(4, 8f, 0f, EnumSet.allOf(Projection.class), false), 7);
        Nd4j.getRandom().setSeed(3);
        for (LoraModule m : adapter.modules()) m.b().assign(Nd4j.randn(DataType.FLOAT, m.b().shape()).muli(0.05));
        check("mistral-wide", base, adapter, base, prompt, node, script, tmp);
    }

    /**
     * Gaussian weights with std 1/√fan_in (2/√fan_in for the output head: logits of std ≈ 2, as in the families), norms
     * around 1: each matrix keeps the activations' scale, so the model is not so chaotic that rounding noise flips its
     * attention (TinyModels' fixed std 0.3 gives logits in the tens at d 256).
     */
    static WeightSource scaledRandom(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return new WeightSource() {
            @Override
            public float[] read(String name, long... shape) {
                long size = 1;
                for (long x : shape) size *= x;
                float[] v = new float[(int) size];
                boolean norm = name.contains("norm");
                double std = (name.startsWith("lm_head") ? 2 : 1) / Math.sqrt(shape[shape.length - 1]);
                for (int i = 0; i < v.length; i++) v[i] = (float) (norm ? 1 + 0.1 * r.nextGaussian() : std * r.nextGaussian());
                return v;
            }

            @Override
            public boolean contains(String name) {
                return true;
            }

            @Override
            public String describe() {
                return "scaled random(" + seed + ")";
            }
        };
    }

    /**
     * Exports {@code model} + {@code adapter} as {@code lora4j export --type F32,Q8_0,Q4_K_M --adapter-gguf} does, then
     * compares llama.cpp with lora4j on every file, and llama.cpp on {@code baseGguf} + adapter.gguf with the merged F32.
     */
    static void check(String name, Path model, LoraAdapter adapter, Path baseGguf, int[] prompt, Path node, Path script, Path tmp) throws Exception {
        Path out = tmp.resolve("export");
        List<QuantPreset> types = List.of(QuantPreset.F32, QuantPreset.Q8_0, QuantPreset.Q4_K_M);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Exporter.export(model, Optional.empty(), adapter, out, new Exporter.Options(types, true, false, false, List.of(prompt), 1), new PrintStream(log));
        Path adapterGguf = out.resolve("adapter.gguf");
        assertTrue(Files.exists(adapterGguf), log.toString());

        // lora4j: greedy on every file (dequantized), and the quantized files' logits along the F32 path
        Map<QuantPreset, Mine> mine = new LinkedHashMap<>();
        Map<QuantPreset, Mine> mineOnF32Path = new LinkedHashMap<>();
        for (QuantPreset t : types) {
            LlamaModel m = load(out.resolve("model." + t.name() + ".gguf"));
            mine.put(t, lora4j(m, prompt, null));
            if (t != QuantPreset.F32) mineOnF32Path.put(t, lora4j(m, prompt, mine.get(QuantPreset.F32).ids()));
        }
        Mine f32 = mine.get(QuantPreset.F32);

        ObjectNode request = JSON.createObjectNode().put("n", N);
        array(request.putArray("prompt"), prompt);
        ArrayNode runs = request.putArray("runs");
        for (QuantPreset t : types) {
            Path file = out.resolve("model." + t.name() + ".gguf");
            run(runs, t.name(), file, null, null, mine.get(t).ids(), f32.ids());
            if (t != QuantPreset.F32) run(runs, t.name() + "@F32", file, null, f32.ids(), f32.ids());
        }
        run(runs, "base+adapter", baseGguf, adapterGguf, null, f32.ids());
        run(runs, "base", baseGguf, null, null);
        JsonNode report = llamaCpp(node, script, request, tmp).path("runs");
        Map<String, Theirs> theirs = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        StringBuilder flips = new StringBuilder();
        report.fields().forEachRemaining(e -> theirs.put(e.getKey(), Theirs.of(e.getValue())));

        StringBuilder table = new StringBuilder(String.format("%s: prompt %d ids, %d greedy tokens; lora4j on F32 %s%n", name, prompt.length, N, Arrays.toString(f32.ids())));
        table.append("| llama.cpp on | = lora4j on the same file (common prefix) | max |Δ logit| there | lora4j margin ≥ 2·bound until step | first difference |"
                + " = lora4j F32 (common prefix) | there: F32 margin, file's preference for its token | top-1 = F32's along the F32 path | max |Δ logit| vs F32 there |\n");
        table.append("|---|---|---|---|---|---|---|---|---|\n");
        for (QuantPreset t : types) {
            Theirs r = theirs.get(t.name());
            assertEquals(N, r.ids().length, t + " generates in llama.cpp");
            String cells = sameFile(failures, name + " " + t, r, mine.get(t), sameFileBound(t));
            int j = agree(r.ids(), f32.ids());
            String vsF32 = j == N ? "" : String.format("step %d: %.4f, %.4f", j, f32.margin(j), r.logit(j, r.ids()[j]) - r.logit(j, f32.ids()[j]));
            String path = "", err = "";
            if (t != QuantPreset.F32) {
                Theirs forced = theirs.get(t.name() + "@F32");
                int top1 = 0;
                for (int s = 0; s < N; s++) if (forced.argmax()[s] == f32.ids()[s]) top1++;
                double e = logitDiff(forced, f32, N), own = reportedDiff(forced, mineOnF32Path.get(t), f32);
                path = top1 + "/" + N;
                err = String.format("llama.cpp %.3f, lora4j %.3f", e, own);
                if (e > quantBound(t)) failures.add(name + " " + t + ": llama.cpp's logits on the F32 path are " + e + " from F32's (> " + quantBound(t) + ")");
                for (int s = 0; s < N; s++) {
                    int a = f32.ids()[s], b = forced.argmax()[s];
                    if (a != b) flips.append(String.format("  %s step %d: F32 picks %d by %.4f over %d; llama.cpp %s picks %d by %.4f%n", t, s, a,
                            f32.logits()[s][a] - f32.logits()[s][b], b, t, b, forced.logit(s, b) - forced.logit(s, a)));
                }
            }
            table.append(String.format("| %s | %s | %d/%d | %s | %s | %s |%n", t, cells, j, N, vsF32, path, err));
        }
        Theirs lora = theirs.get("base+adapter"), merged = theirs.get("F32"), base = theirs.get("base");
        String b = "base " + baseGguf.getFileName();
        String cells = sameFile(failures, name + " " + b + " + adapter.gguf", lora, f32, sameFileBound(QuantPreset.F32));
        table.append(String.format("| %s + adapter.gguf (vs lora4j F32) | %s | = llama.cpp merged F32: %d/%d | | | |%n", b, cells, agree(lora.ids(), merged.ids()), N));
        table.append(String.format("| %s alone | | | | | %d/%d | | | |%n", b, agree(base.ids(), f32.ids()), N));
        for (QuantPreset t : types) table.append(String.format("%s tensors: %s%n", t, types(out.resolve("model." + t.name() + ".gguf"))));
        if (flips.length() > 0) table.append("top-1 flips along the F32 path:\n").append(flips);
        System.out.print(table);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertTrue(agree(base.ids(), lora.ids()) < N, "the adapter changes llama.cpp's greedy output: " + Arrays.toString(base.ids()));
    }

    /** Max |a − b| over the tokens llama.cpp reported at each step, for two lora4j decodes along the same path. */
    static double reportedDiff(Theirs tokens, Mine a, Mine b) {
        double d = 0;
        for (int s = 0; s < N; s++) for (int v : tokens.logits().get(s).keySet()) d = Math.max(d, Math.abs(a.logits()[s][v] - b.logits()[s][v]));
        return d;
    }
}
