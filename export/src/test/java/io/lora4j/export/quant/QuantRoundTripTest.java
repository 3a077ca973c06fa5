package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.GgmlDequantizer;
import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * quantize → dequantize on Gaussian data with 25× outliers and zero blocks: each block's worst error stays within
 * the type's step; and the bytes do not depend on threads or on the kind of destination buffer.
 */
class QuantRoundTripTest {
    private static final int ROWS = 7, COLS = 2048;

    private static float[] data(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[ROWS * COLS];
        for (int i = 0; i < x.length; i++) {
            float v = (float) r.nextGaussian();
            x[i] = (i / 256) % 13 == 5 ? 0f : r.nextInt(100) == 0 ? 25 * v : v;
        }
        return x;
    }

    private static int bits(GgmlType t) {
        return switch (t) {
            case Q8_0 -> 8;
            case Q6_K -> 6;
            case Q5_0, Q5_1, Q5_K -> 5;
            case Q4_0, Q4_1, Q4_K -> 4;
            case Q3_K -> 3;
            case Q2_K -> 2;
            default -> throw new AssertionError(t);
        };
    }

    /**
     * Worst error allowed per block, in steps: Q8_0 rounds to nearest (½ step) and its fp16 scale adds at most
     * 127·2^-11 of a step; Q4_0/Q5_0 clamp the top code, one full step, plus 2^(bits−1)·2^-11 for the fp16 scale;
     * Q4_1/Q5_1 round to nearest with fp16 scale and min; the K-quants search scales and mins per sub-block and
     * stay within one block-level step.
     */
    private static double allowedSteps(GgmlType t) {
        return switch (t) {
            case Q8_0 -> 0.5 + 127 * 0x1p-11;
            case Q4_0, Q5_0 -> 1 + (1 << (bits(t) - 1)) * 0x1p-11;
            case Q4_1, Q5_1 -> 0.55;
            default -> 1.0;
        };
    }

    /** A step of the type for a block: amax/2^(bits−1) for symmetric codes (amax/127 for Q8_0), range/(2^bits − 1) otherwise. */
    private static double step(GgmlType t, float min, float max) {
        double amax = Math.max(max, -min);
        return switch (t) {
            case Q8_0 -> amax / 127;
            case Q4_0, Q5_0, Q3_K, Q6_K -> amax / (1 << (bits(t) - 1));
            default -> (max - min) / ((1 << bits(t)) - 1);
        };
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void everyBlockIsWithinTheTypesStep(GgmlType t) {
        float[] x = data(t.id);
        ByteBuffer q = Quantizers.quantize(x, ROWS, COLS, t, 1);
        assertEquals(t.rowBytes(COLS) * ROWS, q.remaining());
        float[] y = new float[x.length];
        GgmlDequantizer.dequantize(t, q.duplicate(), y, 0, x.length);
        double worst = 0;
        for (int b = 0; b < x.length; b += t.blockSize) {
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            double err = 0;
            for (int i = b; i < b + t.blockSize; i++) {
                min = Math.min(min, x[i]);
                max = Math.max(max, x[i]);
                err = Math.max(err, Math.abs(x[i] - y[i]));
            }
            double step = step(t, min, max);
            if (step == 0) {
                assertEquals(0, err, t + ": a zero block must come back as zeros (block at " + b + ")");
                continue;
            }
            worst = Math.max(worst, err / step);
            assertTrue(err <= allowedSteps(t) * step, t + ": block at " + b + " has error " + err + " = " + err / step + " steps");
        }
        assertTrue(worst > 0.3, t + ": worst error " + worst + " steps is implausibly small for " + bits(t) + " bits");
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "F32"})
    void floatTypesRoundEachValueOnce(GgmlType t) {
        float[] x = data(3);
        ByteBuffer q = Quantizers.quantize(x, ROWS, COLS, t, 2);
        float[] y = new float[x.length];
        GgmlDequantizer.dequantize(t, q, y, 0, x.length);
        double rel = t == GgmlType.F16 ? 0x1p-11 : t == GgmlType.BF16 ? 0x1p-8 : 0;
        for (int i = 0; i < x.length; i++) assertTrue(Math.abs(x[i] - y[i]) <= rel * Math.abs(x[i]) + (t == GgmlType.F16 ? 0x1p-25 : 0), t + " at " + i);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "F16", "BF16", "F32"})
    void bytesDoNotDependOnThreadsOrBuffers(GgmlType t) {
        float[] x = data(11);
        ByteBuffer one = Quantizers.quantize(x, ROWS, COLS, t, 1);
        for (int threads : new int[] {2, 3, 8}) {
            assertEquals(one, Quantizers.quantize(x, ROWS, COLS, t, threads), t + ": " + threads + " threads changed the bytes");
        }
        // row by row into a direct (staged) big-endian buffer, starting at an offset
        Quantizer q = Quantizers.forType(t);
        assertEquals(t, q.type());
        ByteBuffer direct = ByteBuffer.allocateDirect(one.remaining() + 5).order(ByteOrder.BIG_ENDIAN);
        direct.position(5);
        for (int r = 0; r < ROWS; r++) q.quantizeRow(x, r * COLS, COLS, direct);
        assertFalse(direct.hasRemaining());
        direct.position(5);
        assertEquals(one, direct, t + ": a direct buffer got different bytes");
    }

    @Test
    void badArgumentsFailClearly() {
        Quantizer q = Quantizers.forType(GgmlType.Q4_K);
        float[] x = new float[512];
        IllegalArgumentException notBlocks = assertThrows(IllegalArgumentException.class, () -> q.quantizeRow(x, 0, 300, ByteBuffer.allocate(1000)));
        assertTrue(notBlocks.getMessage().contains("300"), notBlocks.getMessage());
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> q.quantizeRow(x, 0, 512, ByteBuffer.allocate(287)));
        assertTrue(small.getMessage().contains("288"), small.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> q.quantizeRow(x, 300, 256, ByteBuffer.allocate(144)));
        assertThrows(IllegalArgumentException.class, () -> Quantizers.quantize(x, 3, 256, GgmlType.Q4_K, 1));
        assertThrows(IllegalArgumentException.class, () -> Quantizers.forType(GgmlType.Q8_K));
    }
}
