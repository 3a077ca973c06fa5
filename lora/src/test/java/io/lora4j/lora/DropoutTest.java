package io.lora4j.lora;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Dropout masks from ND4J's generator: inverted-dropout values, the right keep rate, a pure function of (seed, module). */
class DropoutTest {

    @Test
    void masksArePureFunctionsOfSeedAndModule() {
        INDArray x = Nd4j.ones(DataType.FLOAT, 64, 96);
        Dropout d = new Dropout(0.25f, 7);
        d.configure(true, 3);
        INDArray m1 = d.mask(x);
        Nd4j.rand(DataType.FLOAT, 10); // other draws in between change nothing
        INDArray m2 = d.mask(x);
        assertEquals(m1, m2, "the backward (and a recompute) must see the forward's mask");
        assertEquals(m1, new Dropout(0.25f, 7).withConfig(true, 3).mask(x), "another instance, same (seed, module): same mask");
        assertNotEquals(m1, new Dropout(0.25f, 8).withConfig(true, 3).mask(x), "another module");
        assertNotEquals(m1, new Dropout(0.25f, 7).withConfig(true, 4).mask(x), "another step");

        double keep = 1 / 0.75;
        long zeros = 0, kept = 0;
        for (float v : m1.data().asFloat()) {
            if (v == 0f) zeros++;
            else if (Math.abs(v - keep) < 1e-6) kept++;
            else fail("mask value " + v + " is neither 0 nor 1/(1-p)");
        }
        double rate = zeros / (double) (zeros + kept);
        assertEquals(0.25, rate, 0.02, "dropped fraction over " + (zeros + kept) + " values"); // 6144 draws: σ ≈ 0.0055
    }

    @Test
    void applyAndBackwardUseTheMaskAndOffIsIdentity() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, 32);
        Dropout d = new Dropout(0.5f, 1).withConfig(true, 9);
        INDArray m = d.mask(x);
        assertEquals(x.mul(m), d.apply(x));
        assertEquals(x.mul(m), d.backward(x.dup()));
        d.configure(false, 9);
        assertSame(x, d.apply(x), "evaluation: no dropout");
        assertSame(x, new Dropout(0f, 1).withConfig(true, 9).apply(x), "p = 0: no dropout");
    }
}
