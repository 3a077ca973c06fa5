package io.lora4j.export;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.Generator;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.model.Sampler;
import io.lora4j.core.testing.SharedData;
import io.lora4j.core.tokenizer.HfTokenizerWriter;
import io.lora4j.core.tokenizer.Tokenizer;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Needs Python with torch and transformers (skipped without them): the interpreter is {@code -Dlora4j.python}, else
 * {@code $LORA4J_PYTHON}, else {@code .venv/bin/python} at the repository root (.ci/run installs it there). The
 * directory {@code export --hf} writes from a GGUF base is loaded by {@code AutoTokenizer} and
 * {@code AutoModelForCausalLM}: the same ids, decoded text, logits and greedy continuations as lora4j.
 */
class HfExportTransformersSharedDataTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path python() {
        String p = System.getProperty("lora4j.python");
        if (p == null || p.isBlank()) p = System.getenv("LORA4J_PYTHON");
        List<Path> candidates = p != null && !p.isBlank() ? List.of(Path.of(p)) : List.of(Path.of(".venv/bin/python"), Path.of("../.venv/bin/python"));
        for (Path c : candidates) {
            if (Files.isExecutable(c) && imports(c)) return c.toAbsolutePath();
        }
        assumeTrue(false, "no Python with torch and transformers at " + candidates + " (set -Dlora4j.python=/path/to/venv/bin/python)");
        return null;
    }

    private static boolean imports(Path python) {
        try {
            Process pr = new ProcessBuilder(python.toString(), "-c", "import torch, transformers").redirectErrorStream(true).start();
            pr.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return pr.waitFor(120, TimeUnit.SECONDS) && pr.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    /** Runs the check script on {@code hf} and returns its JSON report. */
    static JsonNode transformers(Path python, Path hf, ObjectNode request, Path tmp) throws Exception {
        Path script = tmp.resolve("hf_transformers_check.py");
        try (InputStream in = HfExportTransformersSharedDataTest.class.getResourceAsStream("hf_transformers_check.py")) {
            Files.copy(in, script);
        }
        Path req = tmp.resolve("request.json"), out = tmp.resolve("report.json"), log = tmp.resolve("python.log");
        JSON.writeValue(req.toFile(), request);
        ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString(), hf.toString(), req.toString(), out.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("HF_HUB_OFFLINE", "1");
        pb.environment().put("TRANSFORMERS_VERBOSITY", "error");
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process pr = pb.start();
        if (!pr.waitFor(600, TimeUnit.SECONDS)) {
            pr.destroyForcibly();
            fail("transformers check timed out: " + Files.readString(log));
        }
        assertEquals(0, pr.exitValue(), "transformers check failed:\n" + Files.readString(log));
        return JSON.readTree(out.toFile());
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    static ObjectNode request(List<String> texts, List<String> prompts, int maxNew, int[] logitIds) {
        ObjectNode r = JSON.createObjectNode();
        texts.forEach(r.putArray("texts")::add);
        prompts.forEach(r.putArray("prompts")::add);
        r.put("max_new_tokens", maxNew);
        var l = r.putArray("logit_ids");
        for (int id : logitIds) l.add(id);
        return r;
    }

    /**
     * Every text: transformers' ids (its own BOS handling) are lora4j's {@code encode(text, true)}, and its decode is
     * lora4j's, except that transformers 5 ignores clean_up_tokenization_spaces for BPE, so where llama.cpp's space
     * cleaning changed the text ("😁 ?" → "😁?") transformers gives the text back as it was.
     */
    static int checkIds(String what, Tokenizer lora4j, List<String> texts, JsonNode report) {
        for (int i = 0; i < texts.size(); i++) {
            String s = texts.get(i);
            int[] want = lora4j.encode(s, true);
            assertArrayEquals(want, ints(report.path("ids").get(i)), what + ": transformers ids of '" + s + "'");
            String decoded = report.path("decoded").get(i).asText();
            boolean uncleaned = lora4j.model().kind() == io.lora4j.core.tokenizer.TokenizerModel.Kind.BPE && decoded.equals(s);
            if (!uncleaned) assertEquals(lora4j.decode(want), decoded, what + ": transformers decode of '" + s + "'");
            if (report.has("sentencepiece_ids")) assertArrayEquals(lora4j.encode(s, false), ints(report.path("sentencepiece_ids").get(i)), what + ": sentencepiece ids of '" + s + "'");
        }
        if (lora4j.model().kind() == io.lora4j.core.tokenizer.TokenizerModel.Kind.SPM) {
            System.out.println(what + ": " + (report.has("sentencepiece_ids") ? "the sentencepiece library on tokenizer.model gives the same ids" : "sentencepiece not installed, tokenizer.model not checked in Python"));
        }
        return texts.size();
    }

    @Test
    void transformersLoadsAGgufBaseExport(@TempDir Path tmp) throws Exception {
        Path python = python();
        BaseModel base = ModelLoader.load(SharedData.file("models/stories260K.gguf"));
        Tokenizer gguf = base.requireTokenizer();
        Path hf = HfExportSharedDataTest.export(base, ExportSharedDataTest.adapter(base), tmp.resolve("out"));
        BaseModel reloaded = ModelLoader.load(hf);
        LlamaModel model = new LlamaModel(reloaded.config(), reloaded.weights());
        List<String> prompts = List.of("Once upon a time", "The little dog", " Tom and Sue went");
        int[] logitIds = gguf.encode("Once upon a time, there was a little girl named Lily.", true);
        JsonNode report = transformers(python, hf, request(HfExportSharedDataTest.TEXTS, prompts, 32, logitIds), tmp);
        System.out.println("transformers tokenizer class: " + report.path("tokenizer_class").asText());
        int n = checkIds("stories260K", gguf, HfExportSharedDataTest.TEXTS, report);

        // logits of the same F16 weights computed in float32 by both
        float[] got = model.logits(new int[][] {logitIds}).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
        ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(tmp.resolve("report.json.logits.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(got.length * 4, bb.capacity(), "logits shape " + report.path("logits_shape"));
        double max = 0;
        for (float g : got) max = Math.max(max, Math.abs(g - bb.getFloat()));
        System.out.printf("stories260K: %d texts tokenized alike; lora4j vs transformers logits max |Δ| %.2e%n", n, max);
        assertTrue(max < 1e-3, "logits differ by " + max);

        for (int i = 0; i < prompts.size(); i++) {
            int[] prompt = gguf.encode(prompts.get(i), true);
            Generator.Output want = Generator.generateWithMargins(model, prompt, 32, Sampler.greedy(), gguf.eosId());
            JsonNode g = report.path("generations").get(i);
            int[] theirs = ints(g.path("ids"));
            int steps = 0; // float32 in both, so only a near-exact tie may go either way
            while (steps < want.margins().length && want.margins()[steps] >= 1e-3f) steps++;
            assertTrue(steps >= 16, "near-tie too early to compare");
            assertArrayEquals(java.util.Arrays.copyOf(want.ids(), Math.min(steps, want.ids().length)), java.util.Arrays.copyOf(theirs, Math.min(steps, theirs.length)),
                    "greedy continuation of '" + prompts.get(i) + "': lora4j '" + gguf.decode(want.ids()) + "' transformers '" + g.path("text").asText() + "'");
            if (steps == want.margins().length) assertEquals(gguf.decode(want.ids()), g.path("text").asText());
            System.out.printf("'%s' → transformers '%s' (%d steps compared)%n", prompts.get(i), g.path("text").asText(), steps);
        }
    }

    /**
     * The families' GGUFs (byte-level BPE and SentencePiece with a chat template): transformers' ids from the written
     * tokenizer files equal lora4j's on the family's tokenizer test strings and on a rendered chat.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen2", "mistral"})
    void transformersTokenizesAFamilyGgufExportAsLora4j(String name, @TempDir Path tmp) throws Exception {
        Path python = python();
        Path dir = SharedData.file("families/" + name);
        BaseModel base = ModelLoader.load(dir.resolve("model-f32.gguf"));
        Tokenizer gguf = base.requireTokenizer();
        Path hf = Files.createDirectories(tmp.resolve("hf"));
        HfTokenizerWriter.write(hf, gguf.model(), base.config().contextLength());
        Files.copy(dir.resolve("hf/config.json"), hf.resolve("config.json")); // transformers picks the class by model_type
        List<String> texts = new ArrayList<>();
        for (HfExportFamiliesSharedDataTest.Case c : HfExportFamiliesSharedDataTest.cases(dir)) texts.add(c.text());
        ObjectNode req = request(texts, List.of(), 0, new int[0]);
        req.put("reference_dir", dir.resolve("hf").toString());
        JsonNode report = transformers(python, hf, req, tmp);
        int n = checkIds(name, gguf, texts, report);
        int sameAsReference = 0;
        for (int i = 0; i < texts.size(); i++) if (report.path("reference_ids").get(i).equals(report.path("ids").get(i))) sameAsReference++;
        System.out.printf("%s: %d texts, transformers on the written files = lora4j for all; = the family's original tokenizer.json for %d (%s)%n",
                name, n, sameAsReference, report.path("tokenizer_class").asText());
    }
}
