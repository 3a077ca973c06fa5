package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Blocks whose bytes follow by hand from the rules of REFERENCE.md B.5 (scales chosen to be exactly 1 so that every
 * code is a visible rounding decision).
 */
class QuantizerKnownVectorsTest {

    private static byte[] quantize(GgmlType type, float... x) {
        ByteBuffer out = ByteBuffer.allocate((int) type.rowBytes(x.length));
        Quantizers.forType(type).quantizeRow(x, 0, x.length, out);
        assertFalse(out.hasRemaining(), "the row fills exactly rowBytes");
        return out.array();
    }

    /** Nibble packing of the 32-element types: byte j = code j | code (j+16) << 4. */
    private static byte[] nibbles(int[] codes) {
        byte[] b = new byte[16];
        for (int j = 0; j < 16; j++) b[j] = (byte) ((codes[j] & 0xF) | (codes[j + 16] & 0xF) << 4);
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static final byte[] HALF_ONE = {0x00, 0x3C}, HALF_MINUS_ONE = {0x00, (byte) 0xBC}, HALF_ZERO = {0, 0};

    @Test
    void q8_0RoundsHalvesAwayFromZero() {
        float[] x = new float[32];
        x[0] = 127; // amax 127: d = 1, id = 1, so q = roundf(x)
        float[] probes = {2.5f, -2.5f, 0.5f, -0.5f, 1.5f, -1.5f, 1.4999999f, -126.5f, 0f, -0.0f};
        System.arraycopy(probes, 0, x, 1, probes.length);
        byte[] q = new byte[32];
        int[] rounded = {127, 3, -3, 1, -1, 2, -2, 1, -127, 0, 0}; // Math.round would give 2 for 2.5 but -2 for -2.5
        for (int i = 0; i < rounded.length; i++) q[i] = (byte) rounded[i];
        assertArrayEquals(concat(HALF_ONE, q), quantize(GgmlType.Q8_0, x));
    }

    @Test
    void q4_0FirstLargestMagnitudeWinsAndCodesTruncate() {
        // |8| appears first as +8: max = 8, d = 8/−8 = −1, id = −1, q = min(15, trunc(8.5 − x))
        float[] lo = {8, -8, 0.5f, -0.5f, 7.5f, 0, 3.25f, -3.25f, 1, 2, 3, 4, 5, 6, 7, -7};
        float[] x = new float[32];
        for (int j = 0; j < 16; j++) {
            x[j] = lo[j];
            x[j + 16] = -lo[j];
        }
        int[] codes = {0, 15, 8, 9, 1, 8, 5, 11, 7, 6, 5, 4, 3, 2, 1, 15,
                       15, 0, 9, 8, 15, 8, 11, 5, 9, 10, 11, 12, 13, 14, 15, 1};
        assertArrayEquals(concat(HALF_MINUS_ONE, nibbles(codes)), quantize(GgmlType.Q4_0, x));
        // the same block with the −8 first: d = +1 and every code mirrors (16.5 − … clamps to 15)
        x[0] = -8;
        x[1] = 8;
        int[] mirrored = codes.clone();
        for (int j = 0; j < 32; j++) mirrored[j] = Math.min(15, (int) (x[j] + 8.5f));
        assertArrayEquals(concat(HALF_ONE, nibbles(mirrored)), quantize(GgmlType.Q4_0, x));
        assertEquals(0, mirrored[0]);
        assertEquals(15, mirrored[1]);
    }

    @Test
    void q4_1RoundsHalfUpFromTheMin() {
        // min −2, max 13: d = 15/15 = 1, q = min(15, trunc(x + 2 + 0.5))
        float[] y = {0, 15, 0.5f, 1.5f, 2.5f, 14.5f, 7.25f, 7.75f, 3, 4, 5, 6, 8, 9, 10, 11,
                     12, 13, 14, 0.49f, 1, 2, 3.5f, 4.5f, 5.5f, 6.5f, 8.5f, 9.5f, 10.5f, 11.5f, 12.5f, 13.5f};
        float[] x = new float[32];
        int[] codes = {0, 15, 1, 2, 3, 15, 7, 8, 3, 4, 5, 6, 8, 9, 10, 11,
                       12, 13, 14, 0, 1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14};
        for (int j = 0; j < 32; j++) x[j] = y[j] - 2;
        assertArrayEquals(concat(HALF_ONE, new byte[] {0x00, (byte) 0xC0}, nibbles(codes)), quantize(GgmlType.Q4_1, x));
    }

    @Test
    void q5TypesPutBitFourInQh() {
        float[] x = new float[32];
        int[] codes = new int[32];
        for (int j = 0; j < 32; j++) {
            x[j] = j - 16; // Q5_0: max = −16 (first), d = 1, q = trunc(x + 16.5) = j
            codes[j] = j;
        }
        byte[] qh = {0, 0, (byte) 0xFF, (byte) 0xFF}; // elements 16..31 have bit 4 set: bits 16..31 of a LE u32
        assertArrayEquals(concat(HALF_ONE, qh, nibbles(codes)), quantize(GgmlType.Q5_0, x));
        for (int j = 0; j < 32; j++) x[j] = j; // Q5_1: min 0, max 31, d = 1, q = trunc(x + 0.5) = j
        assertArrayEquals(concat(HALF_ONE, HALF_ZERO, qh, nibbles(codes)), quantize(GgmlType.Q5_1, x));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void negativeZerosFollowCsSignedZeroArithmetic(GgmlType type) {
        float[] x = new float[512];
        java.util.Arrays.fill(x, -0.0f);
        byte[] block = new byte[type.typeSize]; // K-quants: max == min and d = 0 everywhere, so all bytes stay 0
        switch (type) {
            // the signed max stays at its +0 start; d = +0/−8 = −0 is stored; id = 0, so q = trunc(−0 + 8.5) = 8
            case Q4_0 -> {
                block[1] = (byte) 0x80;
                java.util.Arrays.fill(block, 2, 18, (byte) 0x88);
            }
            // likewise d = −0 and q = trunc(16.5) = 16: low nibbles 0, every qh bit set
            case Q5_0 -> {
                block[1] = (byte) 0x80;
                java.util.Arrays.fill(block, 2, 6, (byte) 0xFF);
            }
            // min = max = −0 (the first element beats FLT_MAX): d = (−0 − −0)/15 = +0, m = −0, codes 0
            case Q4_1, Q5_1 -> block[3] = (byte) 0x80;
            default -> { } // Q8_0: amax = |−0| = +0, d = +0/127 = +0, codes roundf(−0) = 0
        }
        byte[] expected = new byte[(int) type.rowBytes(512)];
        for (int at = 0; at < expected.length; at += block.length) System.arraycopy(block, 0, expected, at, block.length);
        assertArrayEquals(expected, quantize(type, x));
    }

    @Test
    void floatTypesUseGgmlRounding() {
        assertArrayEquals(new byte[] {0x00, 0x3C, 0x00, 0x7C, 0x00, (byte) 0xFE, 0x01, 0x00}, // 1, 65520 → inf, −NaN, 2^-24
                quantize(GgmlType.F16, 1f, 65520f, Float.intBitsToFloat(0xFFC00001), 0x1p-24f));
        assertArrayEquals(new byte[] {(byte) 0x80, 0x3F, (byte) 0x82, 0x3F, (byte) 0xC1, 0x7F}, // ties to even, quiet NaN
                quantize(GgmlType.BF16, Float.intBitsToFloat(0x3F808000), Float.intBitsToFloat(0x3F818000), Float.intBitsToFloat(0x7F810000)));
        assertArrayEquals(new byte[] {0, 0, (byte) 0xC0, 0x3F}, quantize(GgmlType.F32, 1.5f));
    }
}
