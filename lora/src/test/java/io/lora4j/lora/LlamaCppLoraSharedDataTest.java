package io.lora4j.lora;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.model.GgufCheckpoint;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.LogitsAssert;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.TokenLines;
import io.lora4j.core.testing.SharedData;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** llama.cpp's own LoRA adapter applied at scale 1 against llama.cpp's logits with --lora. */
class LlamaCppLoraSharedDataTest {

    @Test
    void loraR8OnSynthAMatchesLlamaCpp() throws Exception {
        try (GgufFile f = GgufFile.open(SharedData.file("reference/synth-a/f32.gguf"))) {
            GgufCheckpoint ckpt = GgufCheckpoint.of(f);
            LlamaModel base = new LlamaModel(ckpt.config(), LlamaWeights.load(ckpt.config(), ckpt, DataType.FLOAT));
            LoraAdapter adapter = LlamaCppLoraReader.read(SharedData.file("reference/synth-a/lora-r8.gguf"), ckpt.config());
            assertEquals(8, adapter.config().r());
            assertEquals(16f, adapter.config().alpha());
            assertEquals(java.util.EnumSet.allOf(Projection.class), adapter.config().targets());
            LlamaModel adapted = adapter.attach(base).emulateF16KvCache(true);

            List<int[]> lines = TokenLines.readTokens(SharedData.file("reference/synth-a/tokens.txt"));
            float[][] withLora = TokenLines.readLogits(SharedData.file("reference/synth-a/f32+lora-r8.logits.f32"), 512);
            float[][] without = TokenLines.readLogits(SharedData.file("reference/synth-a/f32.logits.f32"), 512);
            LogitsAssert.Stats s = LogitsAssert.compare(adapted, lines, withLora);
            LogitsAssert.Stats wrong = LogitsAssert.compare(base.emulateF16KvCache(true), lines, withLora);
            double adapterEffect = 0;
            for (int i = 0; i < withLora.length; i++) for (int j = 0; j < 512; j++) adapterEffect = Math.max(adapterEffect, Math.abs(withLora[i][j] - without[i][j]));
            System.out.println("synth-a + lora-r8.gguf vs llama.cpp --lora: " + s + String.format(" (the adapter itself moves logits by up to %.3g)", adapterEffect));
            assertEquals(1.0, s.top1Agreement());
            assertTrue(s.meanAbs() < 1e-4, s.toString());
            assertTrue(s.maxAbs() < 0.01 * adapterEffect, "adapter applied: " + s);
            assertTrue(wrong.maxAbs() > 100 * s.maxAbs(), "without the adapter the logits must be far off: " + wrong);
        }
    }
}
