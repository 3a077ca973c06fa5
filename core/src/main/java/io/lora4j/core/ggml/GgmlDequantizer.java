package io.lora4j.core.ggml;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Turns stored ggml tensor bytes into floats (REFERENCE.md B.4–B.10 for the block layouts). */
public final class GgmlDequantizer {
    private GgmlDequantizer() {}

    /**
     * Dequantizes {@code n} values (a multiple of the type's block size) starting at {@code src.position()}
     * into {@code dst[dstOffset..dstOffset+n)}. The buffer's position is advanced past the bytes read.
     */
    public static void dequantize(GgmlType type, ByteBuffer src, float[] dst, int dstOffset, int n) {
        ByteBuffer b = src.order() == ByteOrder.LITTLE_ENDIAN ? src : src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (n % type.blockSize != 0) throw new IllegalArgumentException(n + " values is not a whole number of " + type + " blocks");
        int blocks = n / type.blockSize;
        switch (type) {
            case F32 -> { for (int i = 0; i < n; i++) dst[dstOffset + i] = b.getFloat(); }
            case F16 -> { for (int i = 0; i < n; i++) dst[dstOffset + i] = Float16.halfToFloat(b.getShort()); }
            case BF16 -> { for (int i = 0; i < n; i++) dst[dstOffset + i] = Float16.bf16ToFloat(b.getShort()); }
            default -> {
                byte[] block = new byte[type.typeSize];
                for (int k = 0; k < blocks; k++) {
                    b.get(block);
                    int o = dstOffset + k * type.blockSize;
                    switch (type) {
                        case Q8_0 -> q8_0(block, dst, o);
                        case Q4_0 -> q4_0(block, dst, o);
                        case Q4_1 -> q4_1(block, dst, o);
                        case Q5_0 -> q5(block, dst, o, false);
                        case Q5_1 -> q5(block, dst, o, true);
                        case Q2_K -> q2_k(block, dst, o);
                        case Q3_K -> q3_k(block, dst, o);
                        case Q4_K -> q45_k(block, dst, o, false);
                        case Q5_K -> q45_k(block, dst, o, true);
                        case Q6_K -> q6_k(block, dst, o);
                        default -> throw new UnsupportedOperationException("dequantization of " + type + " is not supported");
                    }
                }
            }
        }
        if (b != src) src.position(b.position());
    }

    private static float half(byte[] b, int at) {
        return Float16.halfToFloat((short) ((b[at] & 0xFF) | (b[at + 1] << 8)));
    }

    private static void q8_0(byte[] b, float[] y, int o) {
        float d = half(b, 0);
        for (int j = 0; j < 32; j++) y[o + j] = b[2 + j] * d;
    }

    private static void q4_0(byte[] b, float[] y, int o) {
        float d = half(b, 0);
        for (int j = 0; j < 16; j++) {
            y[o + j] = ((b[2 + j] & 0x0F) - 8) * d;
            y[o + j + 16] = (((b[2 + j] & 0xFF) >> 4) - 8) * d;
        }
    }

    private static void q4_1(byte[] b, float[] y, int o) {
        float d = half(b, 0), m = half(b, 2);
        for (int j = 0; j < 16; j++) {
            y[o + j] = (b[4 + j] & 0x0F) * d + m;
            y[o + j + 16] = ((b[4 + j] & 0xFF) >> 4) * d + m;
        }
    }

    private static void q5(byte[] b, float[] y, int o, boolean withMin) {
        float d = half(b, 0), m = withMin ? half(b, 2) : 0;
        int h = withMin ? 4 : 2, qs = h + 4;
        int qh = (b[h] & 0xFF) | (b[h + 1] & 0xFF) << 8 | (b[h + 2] & 0xFF) << 16 | (b[h + 3] & 0xFF) << 24;
        for (int j = 0; j < 16; j++) {
            int x0 = (b[qs + j] & 0x0F) | (((qh >>> j) & 1) << 4);
            int x1 = ((b[qs + j] & 0xFF) >> 4) | (((qh >>> (j + 16)) & 1) << 4);
            if (withMin) {
                y[o + j] = x0 * d + m;
                y[o + j + 16] = x1 * d + m;
            } else {
                y[o + j] = (x0 - 16) * d;
                y[o + j + 16] = (x1 - 16) * d;
            }
        }
    }

    /** Q2_K: scales[16] qs[64] d dmin; y = d·sc·q − dmin·m. */
    private static void q2_k(byte[] b, float[] y, int o) {
        float d = half(b, 80), dmin = half(b, 82);
        int is = 0, out = o;
        for (int n = 0; n < 256; n += 128) {
            int q = 16 + n / 4;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; half++) {
                    int sc = b[is++] & 0xFF;
                    float dl = d * (sc & 0xF), ml = dmin * (sc >> 4);
                    for (int l = 0; l < 16; l++) y[out++] = dl * (((b[q + 16 * half + l] & 0xFF) >> shift) & 3) - ml;
                }
            }
        }
    }

    /** Q3_K: hmask[32] qs[64] scales[12] d; y = d·(sc−32)·(low2 − (hbit ? 0 : 4)). */
    private static void q3_k(byte[] b, float[] y, int o) {
        float d = half(b, 108);
        int[] sc = new int[16];
        for (int j = 0; j < 16; j++) {
            int low = j < 8 ? b[96 + j] & 0xF : (b[96 + j - 8] & 0xFF) >> 4;
            sc[j] = (low | ((((b[96 + 8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3) << 4)) - 32;
        }
        for (int i = 0; i < 256; i++) {
            int j = i / 16; // sub-block
            int chunk = i / 128, within = i % 128, shift = 2 * (within / 32), l = within % 32;
            int low2 = ((b[32 + chunk * 32 + l] & 0xFF) >> shift) & 3;
            boolean hbit = ((b[i % 32] >> (i / 32)) & 1) != 0;
            y[o + i] = d * sc[j] * (low2 - (hbit ? 0 : 4));
        }
    }

    /** Q4_K / Q5_K: d dmin scales[12] (qh[32]) qs[128]; y = d·sc·q − dmin·m per 32-element sub-block. */
    private static void q45_k(byte[] b, float[] y, int o, boolean five) {
        float d = half(b, 0), dmin = half(b, 2);
        int qs = five ? 48 : 16;
        for (int j = 0; j < 8; j++) {
            int sc, m;
            if (j < 4) {
                sc = b[4 + j] & 63;
                m = b[4 + j + 4] & 63;
            } else {
                sc = (b[4 + j + 4] & 0xF) | (((b[4 + j - 4] & 0xFF) >> 6) << 4);
                m = ((b[4 + j + 4] & 0xFF) >> 4) | (((b[4 + j] & 0xFF) >> 6) << 4);
            }
            float dl = d * sc, ml = dmin * m;
            int chunk = j / 2;
            for (int l = 0; l < 32; l++) {
                int byt = b[qs + 32 * chunk + l] & 0xFF;
                int q = (j % 2 == 0) ? byt & 0xF : byt >> 4;
                if (five && ((b[16 + l] >> j) & 1) != 0) q += 16;
                y[o + 32 * j + l] = dl * q - ml;
            }
        }
    }

    /** Q6_K: ql[128] qh[64] scales[16] d; 6-bit codes − 32 times d·scale of the 16-element sub-block. */
    private static void q6_k(byte[] b, float[] y, int o) {
        float d = half(b, 208);
        for (int h = 0; h < 2; h++) {
            int ql = 64 * h, qh = 128 + 32 * h, base = 128 * h;
            for (int l = 0; l < 32; l++) {
                int hv = b[qh + l] & 0xFF;
                int q1 = ((b[ql + l] & 0xF) | ((hv & 3) << 4)) - 32;
                int q2 = ((b[ql + l + 32] & 0xF) | (((hv >> 2) & 3) << 4)) - 32;
                int q3 = (((b[ql + l] & 0xFF) >> 4) | (((hv >> 4) & 3) << 4)) - 32;
                int q4 = (((b[ql + l + 32] & 0xFF) >> 4) | (((hv >> 6) & 3) << 4)) - 32;
                int is = 8 * h + l / 16;
                y[o + base + l] = d * b[192 + is] * q1;
                y[o + base + l + 32] = d * b[192 + is + 2] * q2;
                y[o + base + l + 64] = d * b[192 + is + 4] * q3;
                y[o + base + l + 96] = d * b[192 + is + 6] * q4;
            }
        }
    }
}
