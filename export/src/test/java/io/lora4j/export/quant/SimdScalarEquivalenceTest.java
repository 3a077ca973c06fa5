package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each quantizer's fast path (Vector API kernels, restructured loops) against its scalar reference, byte for byte,
 * on random and adversarial rows: zeros and signed zeros, constants, one sign, huge and tiny (subnormal) values,
 * negative maxima, ties at the rounding boundaries, first-of-equal maxima, NaN and infinities.
 */
class SimdScalarEquivalenceTest {
    private static final int ROW = 1024;

    @Test
    void vectorKernelsRunInTests() {
        // surefire starts the JVM with --add-modules jdk.incubator.vector: without it this test compares scalar with scalar
        assertTrue(Simd.ENABLED, "jdk.incubator.vector is not in the boot layer");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void fastPathWritesTheScalarBytes(GgmlType type) {
        List<float[]> rows = rows();
        for (int r = 0; r < rows.size(); r++) {
            float[] x = rows.get(r);
            byte[] fast = quantize(FastPaths.quantizer(type, true), x);
            byte[] ref = quantize(FastPaths.quantizer(type, false), x);
            assertArrayEquals(ref, fast, type + " row " + r + " (" + describe(x) + ")");
        }
    }

    /** Rows whose length is not a whole number of vectors: the float kernels leave the tail to the scalar code. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(names = {"F16", "BF16"})
    void floatTypesConvertRowTails(GgmlType type) {
        SplittableRandom r = new SplittableRandom(7);
        for (int n = 1; n < 70; n += 3) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian() * (i % 5 == 0 ? 1e5f : 1f);
            assertArrayEquals(quantize(FastPaths.quantizer(type, false), x), quantize(FastPaths.quantizer(type, true), x), type + " n=" + n);
        }
    }

    private static byte[] quantize(Quantizer q, float[] x) {
        ByteBuffer dst = ByteBuffer.allocate((int) q.type().rowBytes(x.length));
        q.quantizeRow(x, 0, x.length, dst);
        return dst.array();
    }

    private static String describe(float[] x) {
        return "first values " + x[0] + ", " + x[1] + ", " + x[2];
    }

    static List<float[]> rows() {
        SplittableRandom r = new SplittableRandom(42);
        List<float[]> rows = new ArrayList<>();
        for (String f : ReferenceInputs.FAMILIES) {
            float[] all = ReferenceInputs.family(f);
            for (int i = 0; i < 4; i++) rows.add(java.util.Arrays.copyOfRange(all, i * ROW, (i + 1) * ROW));
        }
        rows.add(fill(i -> 0f));
        rows.add(fill(i -> -0.0f));
        rows.add(fill(i -> 1.5f));
        rows.add(fill(i -> -3f));
        rows.add(fill(i -> i % 2 == 0 ? 0f : -0.0f));
        for (float scale : new float[] {1f, 1e-3f, 1e-20f, 1e-38f, 1e-42f, 1e-45f, 1e6f, 1e30f, 3e38f, Float.MAX_VALUE}) {
            rows.add(fill(i -> scale * (float) r.nextGaussian()));
            rows.add(fill(i -> -scale * (float) Math.abs(r.nextGaussian()))); // all negative: negative maxima
            rows.add(fill(i -> scale * (float) Math.abs(r.nextGaussian())));
            rows.add(fill(i -> scale * (r.nextInt(17) - 8)));                 // many equal maxima, exact ties
            rows.add(fill(i -> scale * (r.nextInt(64) - 32) * 0.25f));
        }
        // one element per block of 16/32 much larger than the rest, of either sign, or a −max and a +max pair
        rows.add(fill(i -> i % 16 == 7 ? -1e4f : (float) r.nextGaussian()));
        rows.add(fill(i -> i % 32 == 3 ? 77f : i % 32 == 9 ? -77f : (float) r.nextGaussian()));
        rows.add(fill(i -> i % 32 == 31 ? -5f : 5f - (i % 32) * 0.125f));
        // values spanning many magnitudes within a block
        rows.add(fill(i -> (float) Math.scalb(r.nextGaussian(), r.nextInt(80) - 60)));
        rows.add(fill(i -> (float) Math.scalb(r.nextGaussian(), -r.nextInt(150))));
        // sparse zeros and tiny values among normal ones
        rows.add(fill(i -> r.nextInt(3) == 0 ? 0f : r.nextInt(3) == 0 ? 1e-30f : (float) r.nextGaussian()));
        // fp16 boundaries: largest half, the overflow threshold, smallest normal and subnormal halves, their halfway points
        float[] edges = {65504f, 65519.996f, 65520f, 0x1p-14f, 0x1.ffcp-15f, 0x1p-24f, 0x1p-25f, 0x1.8p-24f, 0x1.000002p-25f, 1e-8f, 3.0e-8f,
            Float.MIN_VALUE, Float.MIN_NORMAL, 1.00048828125f, 1.0009765625f, 1.00146484375f, 0x1.00018p0f, 0x1.00008p0f};
        rows.add(fill(i -> (i / edges.length) % 2 == 0 ? edges[i % edges.length] : -edges[i % edges.length]));
        // non-finite values: ggml's behaviour is what it is; the fast path must reproduce the scalar one
        rows.add(fill(i -> i % 97 == 5 ? Float.NaN : (float) r.nextGaussian()));
        rows.add(fill(i -> i % 89 == 5 ? Float.POSITIVE_INFINITY : (float) r.nextGaussian()));
        rows.add(fill(i -> i % 61 == 5 ? Float.NEGATIVE_INFINITY : (float) r.nextGaussian()));
        for (int k = 0; k < 40; k++) {
            long seed = r.nextLong();
            SplittableRandom g = new SplittableRandom(seed);
            rows.add(fill(i -> g.nextInt(200) == 0 ? 25f * (float) g.nextGaussian() : (float) g.nextGaussian()));
        }
        return rows;
    }

    private interface Gen {
        float at(int i);
    }

    private static float[] fill(Gen g) {
        float[] x = new float[ROW];
        for (int i = 0; i < ROW; i++) x[i] = g.at(i);
        return x;
    }
}
