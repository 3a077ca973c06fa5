package io.lora4j.core.ggml;

import static io.lora4j.core.ggml.GgmlDequantizer.half;

/**
 * dequantize_row_* of the 32-element types (REFERENCE.md B.5). Byte j of qs holds element j in its low nibble and
 * element j+16 in its high nibble; Q5 types keep bit 4 of element j in bit j of the little-endian u32 qh.
 */
final class LegacyBlocks {
    private LegacyBlocks() {}

    /** d qs[32]: y = q·d. */
    static void q8_0(byte[] b, int at, float[] y, int o) {
        float d = half(b, at);
        for (int j = 0; j < 32; j++) y[o + j] = b[at + 2 + j] * d;
    }

    /** d qs[16]: y = (q − 8)·d. */
    static void q4_0(byte[] b, int at, float[] y, int o) {
        float d = half(b, at);
        for (int j = 0; j < 16; j++) {
            int q = b[at + 2 + j] & 0xFF;
            y[o + j] = ((q & 0x0F) - 8) * d;
            y[o + j + 16] = ((q >> 4) - 8) * d;
        }
    }

    /** d m qs[16]: y = q·d + m. */
    static void q4_1(byte[] b, int at, float[] y, int o) {
        float d = half(b, at), m = half(b, at + 2);
        for (int j = 0; j < 16; j++) {
            int q = b[at + 4 + j] & 0xFF;
            y[o + j] = (q & 0x0F) * d + m;
            y[o + j + 16] = (q >> 4) * d + m;
        }
    }

    /** Q5_0: d qh[4] qs[16], y = (q − 16)·d; Q5_1: d m qh[4] qs[16], y = q·d + m. */
    static void q5(byte[] b, int at, float[] y, int o, boolean withMin) {
        float d = half(b, at), m = withMin ? half(b, at + 2) : 0;
        int h = at + (withMin ? 4 : 2), qs = h + 4;
        int qh = (b[h] & 0xFF) | (b[h + 1] & 0xFF) << 8 | (b[h + 2] & 0xFF) << 16 | (b[h + 3] & 0xFF) << 24;
        for (int j = 0; j < 16; j++) {
            int q = b[qs + j] & 0xFF;
            int x0 = (q & 0x0F) | (((qh >>> j) & 1) << 4);
            int x1 = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
            if (withMin) {
                y[o + j] = x0 * d + m;
                y[o + j + 16] = x1 * d + m;
            } else {
                y[o + j] = (x0 - 16) * d;
                y[o + j + 16] = (x1 - 16) * d;
            }
        }
    }
}
