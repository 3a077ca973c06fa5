package io.lora4j.core.ggml;

import static io.lora4j.core.ggml.GgmlDequantizer.half;

/**
 * dequantize_row_* of the 256-element K-quants (REFERENCE.md B.7–B.10). The per-sub-block factor (d·sc, dmin·m)
 * is formed first and then multiplied by the code, as ggml does, so the floats are ggml's.
 */
final class KBlocks {
    private KBlocks() {}

    /** Q2_K: scales[16] qs[64] d dmin; y = d·(sc & 15)·q − dmin·(sc >> 4), 16 values per scale byte. */
    static void q2K(byte[] b, int at, float[] y, int o) {
        float d = half(b, at + 80), dmin = half(b, at + 82);
        int is = at, out = o;
        for (int n = 0; n < 2; n++) {
            int q = at + 16 + 32 * n;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int part = 0; part < 2; part++) {
                    int sc = b[is++] & 0xFF;
                    float dl = d * (sc & 0xF), ml = dmin * (sc >> 4);
                    int qq = q + 16 * part;
                    for (int l = 0; l < 16; l++) y[out++] = dl * (((b[qq + l] & 0xFF) >> shift) & 3) - ml;
                }
            }
        }
    }

    /**
     * Q3_K: hmask[32] qs[64] scales[12] d; y = d·(sc − 32)·(low2 − (hbit ? 0 : 4)). Element e of 256 has its low
     * two bits in qs[32·(e/128) + e%32] at shift 2·((e%128)/32), its high bit at bit e/32 of hmask[e%32], and
     * its 6-bit scale (sub-block e/16) split between scales[0..8) nibbles and scales[8..12) bit pairs.
     */
    static void q3K(byte[] b, int at, float[] y, int o) {
        float d = half(b, at + 108);
        int sb = at + 96;
        for (int j = 0; j < 16; j++) {
            int low = j < 8 ? b[sb + j] & 0xF : (b[sb + j - 8] & 0xFF) >> 4;
            int sc = (low | ((((b[sb + 8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3) << 4)) - 32;
            float dl = d * sc;
            for (int l = 0; l < 16; l++) {
                int e = 16 * j + l;
                int low2 = ((b[at + 32 + 32 * (e >> 7) + (e & 31)] & 0xFF) >> (2 * ((e & 127) >> 5))) & 3;
                int hbit = (b[at + (e & 31)] >> (e >> 5)) & 1;
                y[o + e] = dl * (low2 - (hbit != 0 ? 0 : 4));
            }
        }
    }

    /** Q4_K / Q5_K: d dmin scales[12] (qh[32]) qs[128]; y = d·sc·q − dmin·m per 32-element sub-block. */
    static void q45K(byte[] b, int at, float[] y, int o, boolean five) {
        float d = half(b, at), dmin = half(b, at + 2);
        int s = at + 4, qs = at + (five ? 48 : 16), qh = at + 16;
        for (int j = 0; j < 8; j++) {
            int sc, m;
            if (j < 4) {
                sc = b[s + j] & 63;
                m = b[s + j + 4] & 63;
            } else {
                sc = (b[s + j + 4] & 0xF) | (((b[s + j - 4] & 0xFF) >> 6) << 4);
                m = ((b[s + j + 4] & 0xFF) >> 4) | (((b[s + j] & 0xFF) >> 6) << 4);
            }
            float dl = d * sc, ml = dmin * m;
            int chunk = qs + 32 * (j >> 1), shift = 4 * (j & 1);
            for (int l = 0; l < 32; l++) {
                int q = ((b[chunk + l] & 0xFF) >> shift) & 0xF;
                if (five) q |= ((b[qh + l] >> j) & 1) << 4;
                y[o + 32 * j + l] = dl * q - ml;
            }
        }
    }

    /** Q6_K: ql[128] qh[64] scales[16] d; 6-bit codes − 32 times d·scale of the 16-element sub-block. */
    static void q6K(byte[] b, int at, float[] y, int o) {
        float d = half(b, at + 208);
        int sc = at + 192;
        for (int h = 0; h < 2; h++) {
            int ql = at + 64 * h, qh = at + 128 + 32 * h, base = o + 128 * h;
            for (int l = 0; l < 32; l++) {
                int hv = b[qh + l] & 0xFF, lo = b[ql + l] & 0xFF, lo2 = b[ql + l + 32] & 0xFF;
                int q1 = ((lo & 0xF) | ((hv & 3) << 4)) - 32;
                int q2 = ((lo2 & 0xF) | (((hv >> 2) & 3) << 4)) - 32;
                int q3 = ((lo >> 4) | (((hv >> 4) & 3) << 4)) - 32;
                int q4 = ((lo2 >> 4) | (((hv >> 6) & 3) << 4)) - 32;
                int is = sc + 8 * h + l / 16;
                y[base + l] = d * b[is] * q1;
                y[base + l + 32] = d * b[is + 2] * q2;
                y[base + l + 64] = d * b[is + 4] * q3;
                y[base + l + 96] = d * b[is + 6] * q4;
            }
        }
    }
}
