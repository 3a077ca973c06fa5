package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.testing.SharedData;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** Forward-pass parity with llama.cpp for models loaded from GGUF. */
class GgufModelSharedDataTest {

    static LlamaModel load(String file) throws Exception {
        try (GgufFile f = GgufFile.open(SharedData.file(file))) {
            GgufCheckpoint ckpt = GgufCheckpoint.of(f);
            return new LlamaModel(ckpt.config(), LlamaWeights.load(ckpt.config(), ckpt, DataType.FLOAT));
        }
    }

    static double noiseFloor(String file, List<int[]> lines) throws Exception {
        try (GgufFile f = GgufFile.open(SharedData.file(file))) {
            GgufCheckpoint ckpt = GgufCheckpoint.of(f);
            return LogitsAssert.f16NoiseFloor(ckpt.config(), ckpt, lines);
        }
    }

    @Test
    void synthAWithGroupedQueryAttentionMatchesLlamaCpp() throws Exception {
        LlamaModel model = load("reference/synth-a/f32.gguf");
        assertEquals(4, model.config().nHeads());
        assertEquals(2, model.config().nKvHeads());
        List<int[]> lines = TokenLines.readTokens(SharedData.file("reference/synth-a/tokens.txt"));
        float[][] expected = TokenLines.readLogits(SharedData.file("reference/synth-a/f32.logits.f32"), 512);
        LogitsAssert.Stats fp32 = LogitsAssert.compare(model, lines, expected);
        LogitsAssert.Stats f16 = LogitsAssert.compare(model.emulateF16KvCache(true), lines, expected);
        System.out.println("synth-a f32.gguf vs llama.cpp, fp32 attention: " + fp32);
        double floor = noiseFloor("reference/synth-a/f32.gguf", lines);
        System.out.println("synth-a f32.gguf vs llama.cpp, f16 KV-cache emulation: " + f16 + String.format(" (fp16 noise floor %.3g)", floor));
        assertEquals(1.0, f16.top1Agreement());
        assertTrue(f16.meanAbs() < 1e-4, f16.toString());
        assertTrue(f16.maxAbs() < 3 * floor, "llama.cpp differs by more than the fp16 noise floor: " + f16 + " vs " + floor);
    }

    @Test
    void stories260kFromGgufEqualsTheLlama2cCheckpoint() throws Exception {
        LlamaModel gguf = load("models/stories260K.gguf");
        Llama2cCheckpoint bin = Llama2cCheckpoint.open(SharedData.file("models/stories260K.bin"));
        LlamaModel fromBin = new LlamaModel(bin.config(), LlamaWeights.load(bin.config(), bin, DataType.FLOAT));
        assertEquals(fromBin.config().dim(), gguf.config().dim());
        int[] ids = TokenLines.readTokens(SharedData.file("reference/stories260K/tokens.txt")).get(2);
        float[][] a = gguf.logits(new int[][] {ids}).toFloatMatrix(), b = fromBin.logits(new int[][] {ids}).toFloatMatrix();
        for (int t = 0; t < a.length; t++) assertArrayEquals(b[t], a[t], 0f, "position " + t);
    }
}
