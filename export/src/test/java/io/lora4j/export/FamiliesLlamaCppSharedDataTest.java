package io.lora4j.export;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.Generator;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.model.Sampler;
import io.lora4j.core.model.TokenLines;
import io.lora4j.core.testing.SharedData;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.lora.AdapterLoader;
import io.lora4j.lora.LoraAdapter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
    /** Below this top-1 margin a float32 step is a tie that rounding may break either way (logits agree to ~1e-5). */
    static final float TIE = 1e-3f;
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

    static Generator.Output lora4j(Path gguf, int[] prompt) throws Exception {
        BaseModel m = ModelLoader.load(gguf);
        return Generator.generateWithMargins(new LlamaModel(m.config(), m.weights()), prompt, N, Sampler.greedy(), -1);
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    static float[] floats(JsonNode a) {
        float[] r = new float[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = (float) a.get(i).asDouble();
        return r;
    }

    /** Length of the common prefix. */
    static int agree(int[] a, int[] b) {
        int i = 0;
        while (i < a.length && i < b.length && a[i] == b[i]) i++;
        return i;
    }

    /** Steps before the first near-tie in either run: up to there a float32 greedy path is determined. */
    static int decided(float[] a, float[] b) {
        int i = 0;
        while (i < a.length && i < b.length && a[i] >= TIE && b[i] >= TIE) i++;
        return i;
    }

    static float min(float[] a) {
        float m = Float.POSITIVE_INFINITY;
        for (float x : a) m = Math.min(m, x);
        return m;
    }

    static ObjectNode run(ArrayNode runs, String name, Path model, Path lora, int[] reference) {
        ObjectNode r = runs.addObject().put("name", name).put("model", model.toString());
        if (lora != null) r.put("lora", lora.toString());
        if (reference != null) {
            ArrayNode a = r.putArray("reference");
            for (int t : reference) a.add(t);
        }
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen2", "mistral"})
    void llamaCppDecodesTheExportsAsLora4j(String name, @TempDir Path tmp) throws Exception {
        Path node = node(), script = script();
        Path dir = SharedData.file("families/" + name);
        int[] prompt = TokenLines.readTokens(dir.resolve("tokens.txt")).get(0); // the chat-formatted prompt
        Path hf = dir.resolve("hf"), baseGguf = dir.resolve("model-f32.gguf"), out = tmp.resolve("export");

        // lora4j export --model hf --adapter lora --type F32,Q8_0,Q4_K_M --adapter-gguf, in process
        LoraAdapter adapter;
        try (ModelSource src = ModelSource.open(hf, Optional.empty())) {
            adapter = AdapterLoader.load(dir.resolve("lora"), src.config(), 1f);
        }
        List<QuantPreset> types = List.of(QuantPreset.F32, QuantPreset.Q8_0, QuantPreset.Q4_K_M);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Exporter.export(hf, Optional.empty(), adapter, out, new Exporter.Options(types, true, false, false, List.of(prompt), 1), new PrintStream(log));
        Path adapterGguf = out.resolve("adapter.gguf");
        assertTrue(Files.exists(adapterGguf), log.toString());

        Generator.Output[] mine = new Generator.Output[types.size()];
        for (int i = 0; i < types.size(); i++) mine[i] = lora4j(out.resolve("model." + types.get(i).name() + ".gguf"), prompt);
        int[] f32 = mine[0].ids();

        ObjectNode request = JSON.createObjectNode().put("n", N);
        ArrayNode p = request.putArray("prompt");
        for (int t : prompt) p.add(t);
        ArrayNode runs = request.putArray("runs");
        for (QuantPreset t : types) run(runs, t.name(), out.resolve("model." + t.name() + ".gguf"), null, f32);
        run(runs, "base+adapter", baseGguf, adapterGguf, f32);
        run(runs, "base", baseGguf, null, null);
        JsonNode report = llamaCpp(node, script, request, tmp).path("runs");

        StringBuilder table = new StringBuilder(String.format("%s, prompt %d ids, %d greedy tokens; lora4j F32 %s%n", name, prompt.length, N, java.util.Arrays.toString(f32)));
        table.append("| file | llama.cpp = lora4j on the same file | min margin lora4j / llama.cpp | llama.cpp = lora4j F32 | at the first difference: F32 margin, this file's preference over F32's token |\n");
        for (int i = 0; i < types.size(); i++) {
            JsonNode r = report.path(types.get(i).name());
            int[] theirs = ints(r.path("ids"));
            float[] margins = floats(r.path("margins"));
            assertEquals(N, theirs.length, types.get(i) + " generates in llama.cpp");
            int same = agree(theirs, mine[i].ids()), vsF32 = agree(theirs, f32);
            String why = "";
            if (vsF32 < N) {
                float gap = (float) (r.path("top").get(vsF32).asDouble() - r.path("referenceLogits").get(vsF32).asDouble());
                why = String.format("step %d: %.4f, %.4f", vsF32, mine[0].margins()[vsF32], gap);
            }
            table.append(String.format("| %s | %d/%d | %.4f / %.4f | %d/%d | %s |%n", types.get(i), same, N, min(mine[i].margins()), min(margins), vsF32, N, why));
        }
        int[] lora = ints(report.path("base+adapter").path("ids")), merged = ints(report.path("F32").path("ids")), base = ints(report.path("base").path("ids"));
        table.append(String.format("| base model-f32.gguf + adapter.gguf | — | %.4f | %d/%d | |%n", min(floats(report.path("base+adapter").path("margins"))), agree(lora, f32), N));
        table.append(String.format("| base model-f32.gguf alone | — | — | %d/%d | |%n", agree(base, f32), N));
        System.out.print(table);
    }
}
