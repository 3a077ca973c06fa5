package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.Float16;
import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The ND4J-op expander writes the very bits the host expander writes, on raw blocks that cover every code (Q8_0's
 * −128..127, every nibble), scales of both signs including fp16 subnormals, odd row counts, a row permutation and a
 * destination that is a view into a larger scratch (as {@link WeightScratch} hands out).
 */
class Nd4jBlockExpanderTest {

    @ParameterizedTest
    @CsvSource({"Q8_0, 1, 32", "Q8_0, 3, 64", "Q8_0, 7, 96", "Q8_0, 33, 256", "Q8_0, 5, 4096",
            "Q4_0, 1, 32", "Q4_0, 3, 64", "Q4_0, 7, 96", "Q4_0, 33, 256", "Q4_0, 5, 4096",
            "F16, 3, 5", "F16, 17, 64", "BF16, 3, 5", "BF16, 17, 64"})
    void bitIdenticalToTheHostExpander(GgmlType type, int rows, int cols) {
        for (boolean permuted : new boolean[] {false, true}) {
            BlockWeight w = randomWeight(type, rows, cols, 31L * rows + cols, permuted);
            int[] host = bits(expand(BlockWeight.HOST, w, 0));
            int[] nd4j = bits(expand(Nd4jBlockExpander.INSTANCE, w, 0));
            int[] nd4jInView = bits(expand(Nd4jBlockExpander.INSTANCE, w, 3 * cols)); // a view with room after it
            assertArrayEquals(host, nd4j, type + " " + rows + "x" + cols + (permuted ? " permuted" : ""));
            assertArrayEquals(host, nd4jInView, type + " " + rows + "x" + cols + " into a view");
        }
    }

    @Test
    void handComputedValuesOfOneBlockEach() {
        // Q8_0: d = 0.5, codes -128, -1, 0, 127, ...: y = q·d
        byte[] q8 = new byte[34];
        putHalf(q8, 0, Float16.floatToHalf(0.5f));
        q8[2] = -128;
        q8[3] = -1;
        q8[5] = 127;
        float[] y8 = expand(Nd4jBlockExpander.INSTANCE, BlockWeight.of("q8", GgmlType.Q8_0, 1, 32, ByteBuffer.wrap(q8), null), 0).dup('c').data().asFloat();
        assertEquals(-64f, y8[0]);
        assertEquals(-0.5f, y8[1]);
        assertEquals(0f, y8[2]);
        assertEquals(63.5f, y8[3]);
        // Q4_0: d = -2, byte 0xF3: low nibble 3 → (3−8)·−2 = 10 at j, high nibble 15 → (15−8)·−2 = −14 at j+16
        byte[] q4 = new byte[18];
        putHalf(q4, 0, Float16.floatToHalf(-2f));
        q4[2 + 5] = (byte) 0xF3;
        float[] y4 = expand(Nd4jBlockExpander.INSTANCE, BlockWeight.of("q4", GgmlType.Q4_0, 1, 32, ByteBuffer.wrap(q4), null), 0).dup('c').data().asFloat();
        assertEquals(10f, y4[5]);
        assertEquals(-14f, y4[21]);
        assertEquals(16f, y4[0]); // byte 0: both nibbles 0 → (0−8)·−2
        assertEquals(16f, y4[16]);
    }

    @Test
    void aNonFloatDestinationGetsTheCastOfTheFloatExpansion() {
        BlockWeight w = randomWeight(GgmlType.Q4_0, 3, 64, 5, false);
        INDArray host = Nd4j.create(DataType.DOUBLE, 3, 64), dev = Nd4j.create(DataType.DOUBLE, 3, 64);
        BlockWeight.HOST.expand(w, host);
        Nd4jBlockExpander.INSTANCE.expand(w, dev);
        assertArrayEquals(host.data().asDouble(), dev.data().asDouble());
    }

    @Test
    void thePropertyChoosesTheExpanderAndTheHostIsTheCpuDefault() {
        String old = System.getProperty(BlockWeight.EXPAND_PROPERTY);
        try {
            System.clearProperty(BlockWeight.EXPAND_PROPERTY);
            assertSame(BlockWeight.HOST, randomWeight(GgmlType.Q8_0, 1, 32, 1, false).expander(), "the CPU backend's default");
            System.setProperty(BlockWeight.EXPAND_PROPERTY, "nd4j");
            assertSame(Nd4jBlockExpander.INSTANCE, randomWeight(GgmlType.Q4_0, 1, 32, 1, false).expander());
            assertSame(BlockWeight.HOST, BlockWeight.of("k", GgmlType.Q4_K, 1, 256, ByteBuffer.allocate(144), null).expander(), "no ND4J form for Q4_K");
            System.setProperty(BlockWeight.EXPAND_PROPERTY, "gpu");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> randomWeight(GgmlType.Q8_0, 1, 32, 1, false));
            assertTrue(e.getMessage().contains("lora4j.expand=gpu"), e.getMessage());
        } finally {
            if (old == null) System.clearProperty(BlockWeight.EXPAND_PROPERTY);
            else System.setProperty(BlockWeight.EXPAND_PROPERTY, old);
        }
    }

    /** Expands into a (rows, cols) 'c' view at the start of a buffer {@code extra} elements longer, filled with NaN first. */
    private static INDArray expand(BlockWeight.Expander e, BlockWeight w, int extra) {
        long n = w.rows() * w.cols();
        INDArray flat = Nd4j.valueArrayOf(new long[] {n + extra}, Float.NaN, DataType.FLOAT);
        INDArray dst = (extra == 0 ? flat : flat.get(NDArrayIndex.interval(0, n))).reshape('c', w.rows(), w.cols());
        e.expand(w, dst);
        if (extra > 0) {
            for (float f : flat.get(NDArrayIndex.interval(n, n + extra)).toFloatVector()) assertTrue(Float.isNaN(f), "wrote past the destination");
        }
        return dst;
    }

    private static int[] bits(INDArray a) {
        float[] v = a.dup('c').data().asFloat();
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
        return b;
    }

    /** Random raw rows: every code byte random; fp16 scales/values random finite (all exponents, so subnormals too). */
    private static BlockWeight randomWeight(GgmlType type, int rows, int cols, long seed, boolean permuted) {
        SplittableRandom r = new SplittableRandom(seed);
        int rowBytes = (int) type.rowBytes(cols);
        byte[] b = new byte[rows * rowBytes];
        r.nextBytes(b);
        if (type == GgmlType.F16 || type == GgmlType.BF16) {
            for (int i = 0; i < b.length; i += 2) putHalf(b, i, finite(type, r));
        } else {
            for (int i = 0; i < b.length; i += (int) type.typeSize) putHalf(b, i, finite(GgmlType.F16, r));
        }
        int[] source = null;
        if (permuted) {
            source = new int[rows];
            for (int i = 0; i < rows; i++) source[i] = i;
            for (int i = rows - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), t = source[i];
                source[i] = source[j];
                source[j] = t;
            }
        }
        return BlockWeight.of("w", type, rows, cols, ByteBuffer.wrap(b), source);
    }

    private static short finite(GgmlType type, SplittableRandom r) {
        while (true) {
            short h = (short) r.nextInt(1 << 16);
            float f = type == GgmlType.BF16 ? Float16.bf16ToFloat(h) : Float16.halfToFloat(h);
            if (Float.isFinite(f)) return h;
        }
    }

    private static void putHalf(byte[] b, int at, short h) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(at, h);
    }
}
