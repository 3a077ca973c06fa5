package io.lora4j.lora;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.model.CompactLogits;
import io.lora4j.core.model.GgufCheckpoint;
import io.lora4j.core.model.HfCheckpoint;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.TokenLines;
import io.lora4j.core.testing.SharedData;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The PEFT adapter of each family (r 4, alpha 8, all seven projections; on Qwen2 it adds B·A·x on top of W·x + b)
 * against transformers+PEFT logits, read both as PEFT (on the Hugging Face base) and as llama.cpp's lora-f32.gguf
 * (on the GGUF base).
 */
class FamiliesLoraSharedDataTest {
    static final double TOL = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen2", "mistral"})
    void adapterMatchesTransformersWithPeft(String name) throws Exception {
        Path dir = SharedData.file("families/" + name);
        List<int[]> lines = TokenLines.readTokens(dir.resolve("tokens.txt"));
        LlamaModel hfBase;
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir.resolve("hf"))) {
            hfBase = new LlamaModel(ckpt.config(), LlamaWeights.load(ckpt.config(), ckpt, DataType.FLOAT));
        }
        CompactLogits expected = CompactLogits.read(dir, "hf+lora", hfBase.config().vocabSize());

        LoraAdapter peft = PeftAdapterIO.load(dir.resolve("lora"), hfBase.config());
        assertEquals(4, peft.config().r());
        assertEquals(EnumSet.allOf(Projection.class), peft.config().targets());
        CompactLogits.Diff a = expected.compare(peft.attach(hfBase), lines);
        System.out.println(name + " hf/ + lora/ (PEFT) vs hf+lora: " + a);
        assertTrue(a.max() < TOL, name + " PEFT: " + a);
        double base = expected.compare(hfBase, lines).max();
        assertTrue(base > 100 * TOL, "without the adapter the logits must be far off: " + base);

        try (GgufFile f = GgufFile.open(dir.resolve("model-f32.gguf"))) {
            GgufCheckpoint ckpt = GgufCheckpoint.of(f);
            LlamaModel ggufBase = new LlamaModel(ckpt.config(), LlamaWeights.load(ckpt.config(), ckpt, DataType.FLOAT));
            LoraAdapter lcpp = LlamaCppLoraReader.read(dir.resolve("lora-f32.gguf"), ckpt.config());
            assertEquals(2f, lcpp.config().scaling());
            CompactLogits.Diff b = expected.compare(lcpp.attach(ggufBase), lines);
            System.out.println(name + " model-f32.gguf + lora-f32.gguf vs hf+lora: " + b);
            assertTrue(b.max() < TOL, name + " llama.cpp adapter: " + b);
        }
    }
}
