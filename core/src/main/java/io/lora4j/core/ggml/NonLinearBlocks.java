package io.lora4j.core.ggml;

/**
 * The 4-bit non-linear types (ggml's dequantize_row_iq4_nl / _iq4_xs): each nibble indexes a fixed table of 16
 * int8 levels, denser near zero than a uniform grid.
 * IQ4_NL (18 bytes per 32 values): d (fp16), qs[16]; byte j holds element j (low nibble) and j+16 (high).
 * IQ4_XS (136 bytes per 256): d (fp16), scales_h (u16), scales_l[4], qs[128]: 8 sub-blocks of 32, each with a
 * 6-bit scale ls (low 4 bits in scales_l, high 2 in scales_h) worth d·(ls − 32), nibbles packed as IQ4_NL's.
 */
public final class NonLinearBlocks {
    /** ggml's kvalues_iq4nl. */
    private static final int[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private NonLinearBlocks() {}

    /** The level of code {@code q} (0..15). */
    public static int level(int q) {
        return LEVELS[q];
    }

    static void iq4Nl(byte[] b, int at, float[] y, int yo) {
        nibbles(b, at + 2, GgmlDequantizer.half(b, at), y, yo);
    }

    static void iq4Xs(byte[] b, int at, float[] y, int yo) {
        float d = GgmlDequantizer.half(b, at);
        int scalesH = (b[at + 2] & 0xFF) | (b[at + 3] & 0xFF) << 8;
        for (int ib = 0; ib < 8; ib++) {
            int ls = ((b[at + 4 + ib / 2] & 0xFF) >> 4 * (ib % 2)) & 0xF | ((scalesH >> 2 * ib) & 3) << 4;
            nibbles(b, at + 8 + 16 * ib, d * (ls - 32), y, yo + 32 * ib);
        }
    }

    /** 32 values from 16 bytes: element j in the low nibble of byte j, element j+16 in its high nibble. */
    private static void nibbles(byte[] b, int qs, float d, float[] y, int yo) {
        for (int j = 0; j < 16; j++) {
            int q = b[qs + j] & 0xFF;
            y[yo + j] = d * LEVELS[q & 0xF];
            y[yo + j + 16] = d * LEVELS[q >> 4];
        }
    }
}
