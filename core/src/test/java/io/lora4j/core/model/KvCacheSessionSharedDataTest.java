package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.testing.SharedData;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** The cached one-token-at-a-time path must give the same logits as the whole-sequence forward pass. */
class KvCacheSessionSharedDataTest {

    @Test
    void incrementalLogitsEqualFullSequenceLogits() throws Exception {
        Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(SharedData.file("models/stories260K.bin"));
        LlamaModel model = new LlamaModel(ckpt.config(), LlamaWeights.load(ckpt.config(), ckpt, DataType.FLOAT));
        int[] ids = TokenLines.readTokens(SharedData.file("reference/stories260K/tokens.txt")).get(0);
        float[][] full = model.logits(new int[][] {ids}).toFloatMatrix();
        KvCacheSession s = new KvCacheSession(model, ids.length);
        double max = 0;
        for (int t = 0; t < ids.length; t++) {
            float[] step = s.next(ids[t]);
            for (int i = 0; i < step.length; i++) max = Math.max(max, Math.abs(step[i] - full[t][i]));
        }
        assertTrue(max < 1e-4, "cached vs full forward max |Δ| = " + max);
    }

    @Test
    void greedyGenerationReproducesThePromptTokensOfTheReference() throws Exception {
        // reference/README.md: the greedy next token of the first prompt reproduces the prompt itself
        Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(SharedData.file("models/stories260K.bin"));
        LlamaModel model = new LlamaModel(ckpt.config(), LlamaWeights.load(ckpt.config(), ckpt, DataType.FLOAT));
        int[] ids = TokenLines.readTokens(SharedData.file("reference/stories260K/tokens.txt")).get(0);
        int[] gen = Generator.generate(model, new int[] {ids[0], ids[1]}, ids.length - 2, Sampler.greedy(), 2);
        assertArrayEquals(java.util.Arrays.copyOfRange(ids, 2, ids.length), gen);
    }
}
