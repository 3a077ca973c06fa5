package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.GgmlDequantizer;
import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** quantize → dequantize for every type: the error is bounded by the type's resolution, and threads do not change the bytes. */
class QuantRoundTripTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "F16", "BF16"})
    void roundTripErrorIsBoundedByTheBitWidth(GgmlType t) {
        int rows = 8, cols = 512;
        SplittableRandom r = new SplittableRandom(t.id);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (i % 97 == 0 ? 10 : 1));
        ByteBuffer q = Quantizers.quantize(x, rows, cols, t, 1);
        assertEquals(t.rowBytes(cols) * rows, q.remaining());
        float[] y = new float[x.length];
        GgmlDequantizer.dequantize(t, q.duplicate(), y, 0, x.length);
        double num = 0, den = 0;
        for (int i = 0; i < x.length; i++) {
            num += (x[i] - y[i]) * (x[i] - y[i]);
            den += x[i] * x[i];
        }
        double rel = Math.sqrt(num / den);
        double bits = t.bitsPerWeight();
        double bound = bits >= 16 ? 5e-3 : 2.5 * Math.pow(2, -(bits - 2.5)); // ~ one quantization step of the bit width
        assertTrue(rel < bound, t + ": relative RMS error " + rel + " above " + bound);
        assertEquals(q, Quantizers.quantize(x, rows, cols, t, 3), t + ": thread count changed the bytes");
    }
}
