package io.lora4j.core.ggml;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Blocks assembled here from chosen codes and scales, following the layouts of REFERENCE.md B.4–B.10 (an
 * independent packer, element by element), must dequantize to exactly d·sc·q − dmin·m as ggml computes it.
 */
class GgmlDequantizerTest {
    /** One block: its bytes and the floats ggml's dequantize_row_* gives for them. */
    private record Block(byte[] bytes, float[] values) {}

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void handPackedBlocksDequantizeToTheirFormula(GgmlType type) {
        SplittableRandom r = new SplittableRandom(type.id);
        int blocks = 5;
        ByteBuffer src = ByteBuffer.allocate(blocks * type.typeSize + 3).order(ByteOrder.LITTLE_ENDIAN);
        src.position(3); // data not at the start of the buffer
        float[] expected = new float[blocks * type.blockSize];
        for (int k = 0; k < blocks; k++) {
            Block b = build(type, r);
            src.put(b.bytes());
            System.arraycopy(b.values(), 0, expected, k * type.blockSize, type.blockSize);
        }
        src.position(3);
        float[] got = new float[expected.length + 2];
        GgmlDequantizer.dequantize(type, src, got, 2, expected.length);
        assertEquals(src.capacity(), src.position(), "position advanced past the blocks");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(got[2 + i]), type + " element " + i + ": " + expected[i] + " vs " + got[2 + i]);
        }
        // a direct, big-endian view of the same bytes: same floats
        ByteBuffer direct = ByteBuffer.allocateDirect(src.capacity()).order(ByteOrder.BIG_ENDIAN);
        direct.put(src.array()).position(3);
        float[] again = new float[expected.length];
        GgmlDequantizer.dequantize(type, direct, again, 0, expected.length);
        for (int i = 0; i < expected.length; i++) assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(again[i]), type + " direct " + i);
    }

    @Test
    void floatTypesReadLittleEndianWhateverTheBufferOrder() {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putShort((short) 0x3C00).putShort((short) 0x4049);
        b.flip().order(ByteOrder.BIG_ENDIAN);
        float[] y = new float[3];
        GgmlDequantizer.dequantize(GgmlType.F32, b, y, 0, 1);
        GgmlDequantizer.dequantize(GgmlType.F16, b, y, 1, 1);
        GgmlDequantizer.dequantize(GgmlType.BF16, b, y, 2, 1);
        assertArrayEquals(new float[] {1.5f, 1.0f, 3.140625f}, y);
        assertEquals(8, b.position());
    }

    @Test
    void badSizesFailClearly() {
        ByteBuffer b = ByteBuffer.allocate(2 * 18);
        IllegalArgumentException partial = assertThrows(IllegalArgumentException.class, () -> GgmlDequantizer.dequantize(GgmlType.Q4_0, b, new float[64], 0, 40));
        assertTrue(partial.getMessage().contains("40"), partial.getMessage());
        IllegalArgumentException shortData = assertThrows(IllegalArgumentException.class, () -> GgmlDequantizer.dequantize(GgmlType.Q4_0, b, new float[96], 0, 96));
        assertTrue(shortData.getMessage().contains("54 bytes") && shortData.getMessage().contains("36 remain"), shortData.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> GgmlDequantizer.dequantize(GgmlType.Q4_0, b, new float[32], 16, 32));
        assertThrows(UnsupportedOperationException.class, () -> GgmlDequantizer.dequantize(GgmlType.Q8_K, b, new float[256], 0, 256));
        assertEquals(0, b.position(), "nothing consumed on failure");
    }

    // ---- the packer: REFERENCE.md B.4 layouts, one element at a time ----

    private static Block build(GgmlType type, SplittableRandom r) {
        byte[] b = new byte[type.typeSize];
        float[] y = new float[type.blockSize];
        switch (type) {
            case Q8_0 -> {
                float d = putHalf(b, 0, r);
                for (int j = 0; j < 32; j++) {
                    int q = r.nextInt(256) - 128;
                    b[2 + j] = (byte) q;
                    y[j] = q * d;
                }
            }
            case Q4_0, Q4_1, Q5_0, Q5_1 -> {
                boolean withMin = type == GgmlType.Q4_1 || type == GgmlType.Q5_1;
                boolean five = type == GgmlType.Q5_0 || type == GgmlType.Q5_1;
                float d = putHalf(b, 0, r), m = withMin ? putHalf(b, 2, r) : 0;
                int qs = (withMin ? 4 : 2) + (five ? 4 : 0), qh = withMin ? 4 : 2;
                for (int j = 0; j < 32; j++) {
                    int q = r.nextInt(five ? 32 : 16);
                    int byteAt = qs + (j % 16);
                    b[byteAt] |= (byte) ((q & 0xF) << (j < 16 ? 0 : 4));
                    if (five && q >= 16) b[qh + j / 8] |= (byte) (1 << (j % 8)); // bit j of the LE u32
                    int centre = withMin ? 0 : five ? 16 : 8;
                    y[j] = withMin ? q * d + m : (q - centre) * d;
                }
            }
            case Q2_K -> {
                float d = putHalf(b, 80, r), dmin = putHalf(b, 82, r);
                int[] sc = new int[16], m = new int[16];
                for (int s = 0; s < 16; s++) {
                    sc[s] = r.nextInt(16);
                    m[s] = r.nextInt(16);
                    b[s] = (byte) (sc[s] | m[s] << 4);
                }
                for (int e = 0; e < 256; e++) {
                    int q = r.nextInt(4);
                    b[16 + 32 * (e / 128) + e % 32] |= (byte) (q << (2 * ((e % 128) / 32)));
                    y[e] = d * sc[e / 16] * q - dmin * m[e / 16];
                }
            }
            case Q3_K -> {
                float d = putHalf(b, 108, r);
                int[] sc = new int[16];
                for (int s = 0; s < 16; s++) {
                    sc[s] = r.nextInt(64);
                    if (s < 8) b[96 + s] |= (byte) (sc[s] & 0xF);
                    else b[96 + s - 8] |= (byte) ((sc[s] & 0xF) << 4);
                    b[96 + 8 + s % 4] |= (byte) ((sc[s] >> 4) << (2 * (s / 4)));
                }
                for (int e = 0; e < 256; e++) {
                    int q = r.nextInt(8); // stored code; value q − 4
                    if (q > 3) b[e % 32] |= (byte) (1 << (e / 32));
                    b[32 + 32 * (e / 128) + e % 32] |= (byte) ((q & 3) << (2 * ((e % 128) / 32)));
                    y[e] = d * (sc[e / 16] - 32) * (q - 4);
                }
            }
            case Q4_K, Q5_K -> {
                boolean five = type == GgmlType.Q5_K;
                float d = putHalf(b, 0, r), dmin = putHalf(b, 2, r);
                int[] sc = new int[8], m = new int[8];
                for (int s = 0; s < 8; s++) {
                    sc[s] = r.nextInt(64);
                    m[s] = r.nextInt(64);
                    if (s < 4) {
                        b[4 + s] |= (byte) sc[s];
                        b[4 + s + 4] |= (byte) m[s];
                    } else {
                        b[4 + s + 4] = (byte) ((sc[s] & 0xF) | ((m[s] & 0xF) << 4));
                        b[4 + s - 4] |= (byte) ((sc[s] >> 4) << 6);
                        b[4 + s] |= (byte) ((m[s] >> 4) << 6);
                    }
                }
                int qs = five ? 48 : 16;
                for (int e = 0; e < 256; e++) {
                    int q = r.nextInt(five ? 32 : 16);
                    int s = e / 32, chunk = e / 64, l = e % 32;
                    b[qs + 32 * chunk + l] |= (byte) ((q & 0xF) << (s % 2 == 0 ? 0 : 4));
                    if (q >= 16) b[16 + l] |= (byte) (1 << s);
                    y[e] = d * sc[s] * q - dmin * m[s];
                }
            }
            case Q6_K -> {
                float d = putHalf(b, 208, r);
                for (int s = 0; s < 16; s++) b[192 + s] = (byte) (r.nextInt(256) - 128);
                for (int e = 0; e < 256; e++) {
                    int q = r.nextInt(64);
                    int h = e / 128, within = e % 128, k = within / 32, l = within % 32;
                    // k = 0..3: low nibble of ql[l], ql[l+32], high nibble of ql[l], ql[l+32]
                    int ql = 64 * h + l + (k % 2 == 1 ? 32 : 0);
                    b[ql] |= (byte) ((q & 0xF) << (k >= 2 ? 4 : 0));
                    b[128 + 32 * h + l] |= (byte) ((q >> 4) << (2 * k));
                    int sub = 8 * h + 2 * k + l / 16;
                    y[e] = d * b[192 + sub] * (q - 32);
                }
            }
            case IQ4_NL, IQ4_XS -> {
                // ggml's kvalues_iq4nl, written out here independently of the dequantizer's table
                int[] levels = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
                boolean xs = type == GgmlType.IQ4_XS;
                float d = putHalf(b, 0, r);
                int[] ls = new int[8];
                for (int s = 0; xs && s < 8; s++) {
                    ls[s] = r.nextInt(64);
                    b[4 + s / 2] |= (byte) ((ls[s] & 0xF) << (s % 2 == 0 ? 0 : 4));
                    int h = (ls[s] >> 4) << (2 * s); // scales_h: a little-endian u16 at byte 2
                    b[2] |= (byte) h;
                    b[3] |= (byte) (h >> 8);
                }
                int qs = xs ? 8 : 2;
                for (int e = 0; e < type.blockSize; e++) {
                    int q = r.nextInt(16), s = e / 32, within = e % 32;
                    b[qs + 16 * s + within % 16] |= (byte) (q << (within < 16 ? 0 : 4));
                    y[e] = xs ? d * (ls[s] - 32) * levels[q] : d * levels[q];
                }
            }
            default -> throw new AssertionError(type);
        }
        return new Block(b, y);
    }

    /** A random finite fp16 scale (either sign, normal or subnormal) stored at {@code at}; returns its value. */
    private static float putHalf(byte[] b, int at, SplittableRandom r) {
        short h;
        do h = (short) r.nextInt(1 << 16); while ((h & 0x7C00) == 0x7C00);
        b[at] = (byte) h;
        b[at + 1] = (byte) (h >> 8);
        return Float16.halfToFloat(h);
    }
}
