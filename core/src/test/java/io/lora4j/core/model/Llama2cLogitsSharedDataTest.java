package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.testing.SharedData;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** stories260K from Karpathy's llama2.c checkpoint against llama.cpp's logits (shared/data/reference/stories260K). */
class Llama2cLogitsSharedDataTest {

    @Test
    void stories260kBinMatchesLlamaCppLogits() throws Exception {
        Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(SharedData.file("models/stories260K.bin"));
        LlamaConfig c = ckpt.config();
        assertEquals(64, c.dim());
        assertEquals(8, c.nHeads());
        assertEquals(4, c.nKvHeads());
        assertEquals(512, c.vocabSize());
        LlamaModel model = new LlamaModel(c, LlamaWeights.load(c, ckpt, DataType.FLOAT));

        List<int[]> lines = TokenLines.readTokens(SharedData.file("reference/stories260K/tokens.txt"));
        float[][] expected = TokenLines.readLogits(SharedData.file("reference/stories260K/logits.f32"), c.vocabSize());
        LogitsAssert.Stats fp32 = LogitsAssert.compare(model, lines, expected);
        LogitsAssert.Stats f16 = LogitsAssert.compare(model.emulateF16KvCache(true), lines, expected);
        System.out.println("stories260K.bin vs llama.cpp, fp32 attention: " + fp32);
        System.out.println("stories260K.bin vs llama.cpp, f16 KV-cache emulation: " + f16);
        assertEquals(1.0, f16.top1Agreement());
        // llama.cpp rounds attention operands to fp16; which values land on the other side of an fp16 rounding
        // boundary depends on float summation order, so the residual is noise of fp16 size, not a math error.
        double floor = LogitsAssert.f16NoiseFloor(c, ckpt, lines);
        System.out.printf("stories260K fp16 noise floor (own fp32 vs fp64, both emulating the f16 cache): %.3g%n", floor);
        assertTrue(f16.meanAbs() < 3e-4, f16.toString());
        assertTrue(f16.maxAbs() < 3 * floor, "llama.cpp differs by more than the fp16 noise floor: " + f16 + " vs " + floor);
        assertTrue(f16.maxAbs() < fp32.maxAbs(), "emulating llama.cpp's f16 cache must bring the logits closer");
    }
}
