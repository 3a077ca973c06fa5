package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** A GGUF keeps only Llama-3's RoPE factors; config.json needs the parameters: recovered from the factors, checked by recomputing them. */
class RopeScalingRecoveryTest {

    @Test
    void llama3ParametersComeBackFromTheirFactors() {
        // Llama-3.1/3.2 (head_dim 128 and 64: many pairs in the smooth band), and the families fixture's head_dim 8 (one pair)
        for (int headDim : new int[] {128, 64, 8}) {
            for (float factor : new float[] {8f, 32f}) {
                RopeScaling truth = RopeScaling.llama3(factor, 1f, 4f, 8192, headDim, 500000f);
                RopeScaling back = RopeScaling.recoverLlama3(truth.freqFactors(), headDim, 500000f);
                assertNotNull(back, "head_dim " + headDim + ", factor " + factor);
                assertEquals(factor, back.factor(), 1e-6);
                assertEquals(8192, back.originalContextLength());
                assertEquals(1f, back.lowFreqFactor(), 1e-4);
                assertEquals(4f, back.highFreqFactor(), 1e-4);
                assertArrayEquals(truth.freqFactors(), back.freqFactors(), 1e-5f * factor);
            }
        }
        // other parameters with several pairs in the band: any (C, low, high) on the same line gives the same factors
        RopeScaling odd = RopeScaling.llama3(16f, 2f, 6f, 4096, 128, 10000f);
        RopeScaling back = RopeScaling.recoverLlama3(odd.freqFactors(), 128, 10000f);
        assertNotNull(back);
        assertArrayEquals(odd.freqFactors(), back.freqFactors(), 1e-4f);
    }

    @Test
    void factorsNoLlama3ScalingMakesAreNotDressedUpAsOne() {
        float[] ff = RopeScaling.llama3(8f, 1f, 4f, 8192, 128, 500000f).freqFactors();
        ff[10] *= 1.01f; // one factor off the curve
        ff[3] = 1.5f;
        assertNull(RopeScaling.recoverLlama3(ff, 128, 500000f));
        assertNull(RopeScaling.recoverLlama3(new float[] {1f, 1f, 1f, 1f}, 8, 500000f)); // no scaling at all
    }
}
