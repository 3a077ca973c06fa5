package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Llama-3.x (llama3 RoPE scaling, tied), Qwen2.5 (q/k/v biases, tied, NeoX RoPE in GGUF) and Mistral (GQA, untied),
 * each loaded from its Hugging Face directory and from its F32 GGUF, against transformers' and llama.cpp's logits
 * (shared/data/families, compact form: kept columns, full last rows, log-sum-exp of every row).
 */
class FamiliesSharedDataTest {
    static final double TOL = 1e-4;

    static Path family(String name) {
        return SharedData.file("families/" + name);
    }

    static LlamaModel fromHf(String name) throws Exception {
        try (HfCheckpoint ckpt = HfCheckpoint.open(family(name).resolve("hf"))) {
            return new LlamaModel(ckpt.config(), LlamaWeights.load(ckpt.config(), ckpt, DataType.FLOAT));
        }
    }

    static LlamaModel fromGguf(String name) throws Exception {
        try (GgufFile f = GgufFile.open(family(name).resolve("model-f32.gguf"))) {
            GgufCheckpoint ckpt = GgufCheckpoint.of(f);
            return new LlamaModel(ckpt.config(), LlamaWeights.load(ckpt.config(), ckpt, DataType.FLOAT));
        }
    }

    /** Both loads against both references; returns nothing, prints the four numbers. */
    static void checkFamily(String name) throws Exception {
        Path dir = family(name);
        List<int[]> lines = TokenLines.readTokens(dir.resolve("tokens.txt"));
        LlamaModel hf = fromHf(name), gguf = fromGguf(name);
        assertEquals(hf.config().withArchitecture(gguf.config().architecture()).biases(), gguf.config().biases());
        for (String ref : new String[] {"hf", "llamacpp"}) {
            CompactLogits expected = CompactLogits.read(dir, ref, hf.config().vocabSize());
            CompactLogits.Diff a = expected.compare(hf, lines), b = expected.compare(gguf, lines);
            System.out.println(name + " hf/ vs " + ref + ": " + a);
            System.out.println(name + " model-f32.gguf vs " + ref + ": " + b);
            assertTrue(a.max() < TOL, name + " hf/ vs " + ref + ": " + a);
            assertTrue(b.max() < TOL, name + " model-f32.gguf vs " + ref + ": " + b);
        }
    }

    @Test
    void llama3MatchesTransformersAndLlamaCpp() throws Exception {
        LlamaConfig hf = HfCheckpoint.readConfig(family("llama3").resolve("hf/config.json"));
        assertEquals(Architecture.LLAMA, hf.architecture());
        assertTrue(hf.tiedEmbeddings());
        assertEquals(500000f, hf.ropeTheta());
        assertTrue(hf.ropeScaling().hasLlama3Parameters());
        try (GgufFile f = GgufFile.open(family("llama3").resolve("model-f32.gguf"))) {
            LlamaConfig g = GgufCheckpoint.config(f);
            // llama.cpp's converter wrote rope_freqs.weight from the same rope_scaling: the factors agree
            assertArrayEquals(hf.ropeScaling().freqFactors(), g.ropeScaling().freqFactors(), 1e-6f);
            assertTrue(g.tiedEmbeddings());
        }
        // the scaling matters here: without it the logits are far off
        LlamaModel plain = fromHf("llama3");
        LlamaConfig c = plain.config();
        LlamaConfig unscaled = new LlamaConfig(c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.headDim(), c.vocabSize(), c.contextLength(),
                c.rmsNormEps(), c.ropeTheta(), c.tiedEmbeddings());
        CompactLogits ref = CompactLogits.read(family("llama3"), "hf", c.vocabSize());
        List<int[]> lines = TokenLines.readTokens(family("llama3").resolve("tokens.txt"));
        double without = ref.compare(new LlamaModel(unscaled, plain.weights()), lines).max();
        assertTrue(without > 100 * TOL, "RoPE scaling has no effect? " + without);
        checkFamily("llama3");
    }

    @Test
    void qwen2MatchesTransformersAndLlamaCpp() throws Exception {
        LlamaConfig hf = HfCheckpoint.readConfig(family("qwen2").resolve("hf/config.json"));
        assertEquals(Architecture.QWEN2, hf.architecture());
        assertEquals(Set.of(Projection.Q, Projection.K, Projection.V), hf.biases());
        assertTrue(hf.tiedEmbeddings());
        assertEquals(1e-6f, hf.rmsNormEps());
        assertEquals(0, hf.slidingWindow(), "use_sliding_window false");
        try (GgufFile f = GgufFile.open(family("qwen2").resolve("model-f32.gguf"))) {
            LlamaConfig g = GgufCheckpoint.config(f);
            assertEquals(hf, g.withArchitecture(Architecture.QWEN2));
        }
        checkFamily("qwen2");
    }

    @Test
    void mistralMatchesTransformersAndLlamaCpp() throws Exception {
        LlamaConfig hf = HfCheckpoint.readConfig(family("mistral").resolve("hf/config.json"));
        assertEquals(Architecture.MISTRAL, hf.architecture());
        assertFalse(hf.tiedEmbeddings());
        assertEquals(0, hf.slidingWindow(), "sliding_window null");
        try (GgufFile f = GgufFile.open(family("mistral").resolve("model-f32.gguf"))) {
            assertEquals(hf, GgufCheckpoint.config(f).withArchitecture(Architecture.MISTRAL));
        }
        checkFamily("mistral");
    }

    /** Generation's path (one token at a time, KV cache) applies biases and scaled RoPE like the full forward. */
    @Test
    void kvCacheDecodingEqualsTheFullForwardForEachFamily() throws Exception {
        for (String name : new String[] {"llama3", "qwen2", "mistral"}) {
            LlamaModel model = fromHf(name);
            int[] ids = TokenLines.readTokens(family(name).resolve("tokens.txt")).get(0);
            float[][] full = model.logits(new int[][] {ids}).toFloatMatrix();
            KvCacheSession s = new KvCacheSession(model, ids.length);
            double max = 0;
            for (int t = 0; t < ids.length; t++) {
                float[] step = s.next(ids[t]);
                for (int i = 0; i < step.length; i++) max = Math.max(max, Math.abs(step[i] - full[t][i]));
            }
            System.out.println(name + " KV-cache decoding vs full forward: max |Δ| " + max);
            assertTrue(max < 1e-4, name + ": cached vs full forward max |Δ| = " + max);
        }
    }

    @Test
    void unsupportedArchitecturesFailWhenTheConfigIsRead(@TempDir Path tmp) throws Exception {
        for (String type : new String[] {"gemma", "phi3"}) {
            Path dir = Files.createDirectories(tmp.resolve(type));
            Files.writeString(dir.resolve("config.json"), Files.readString(family("mistral").resolve("hf/config.json")).replace("\"mistral\"", "\"" + type + "\""));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfCheckpoint.readConfig(dir.resolve("config.json")));
            assertTrue(e.getMessage().contains(type) && e.getMessage().contains("qwen2") && e.getMessage().contains("mistral"), e.getMessage());
        }
    }

    @Test
    void aCheckpointTensorTheModelWouldIgnoreIsAnError(@TempDir Path tmp) throws Exception {
        // Qwen2 weights declared as a bias-free llama: the q/k/v biases would be silently dropped
        Path dir = Files.createDirectories(tmp.resolve("qwen-as-llama"));
        Files.copy(family("qwen2").resolve("hf/model.safetensors"), dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), Files.readString(family("qwen2").resolve("hf/config.json")).replace("\"qwen2\"", "\"llama\""));
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaWeights.load(ckpt.config(), ckpt, DataType.FLOAT));
            assertTrue(e.getMessage().contains("model.layers.0.self_attn.k_proj.bias"), e.getMessage());
        }
    }
}
