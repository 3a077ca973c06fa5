package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.getHalf;
import static io.lora4j.export.quant.QuantMath.nearestInt;
import static io.lora4j.export.quant.QuantMath.putHalf;

/**
 * The 256-element K-quants (REFERENCE.md B.6–B.10): per sub-block scales (and mins) found by ggml's searches,
 * quantized to 4, 6 or 8 bits against one fp16 super-scale, then codes re-derived from the rounded scales. Each
 * instance keeps its scratch arrays, so use one per thread.
 */
final class KQuantizers {
    private KQuantizers() {}

    static final class Q6K implements BlockQuantizer {
        private final int[] L = new int[256];
        private final float[] scales = new float[16];

        @Override
        public void quantize(float[] x, int xo, byte[] out, int oo) {
            // layout: ql[128] qh[64] scales[16] d
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < 16; ib++) {
                float scale = QuantMath.makeQxQuants(16, 32, x, xo + 16 * ib, L, 16 * ib);
                scales[ib] = scale;
                float abs = Math.abs(scale);
                if (abs > maxAbsScale) {
                    maxAbsScale = abs;
                    maxScale = scale;
                }
            }
            if (maxAbsScale < QuantMath.GROUP_MAX_EPS) {
                java.util.Arrays.fill(out, oo, oo + 210, (byte) 0);
                return;
            }
            float iscale = -128f / maxScale;
            putHalf(out, oo + 208, 1 / iscale);
            for (int ib = 0; ib < 16; ib++) out[oo + 192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
            float d0 = getHalf(out, oo + 208);
            for (int j = 0; j < 16; j++) {
                float d = d0 * out[oo + 192 + j];
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt(x[xo + 16 * j + ii] / d);
                    L[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
                }
            }
            for (int h = 0; h < 2; h++) {
                int j = 128 * h, ql = oo + 64 * h, qh = oo + 128 + 32 * h;
                for (int l = 0; l < 32; l++) {
                    int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                    out[ql + l] = (byte) (q1 | (q3 << 4));
                    out[ql + l + 32] = (byte) (q2 | (q4 << 4));
                    out[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
                }
            }
        }
    }

    /** Q4_K and Q5_K share the 8×32 scale/min search and the 12-byte scale packing. */
    abstract static class Q45K implements BlockQuantizer {
        final int[] L = new int[256], laux = new int[32];
        final float[] scales = new float[8], mins = new float[8], weights = new float[32], theMin = new float[1];
        final int[] scByte = new int[12];

        abstract int nmax();

        abstract float rmin();

        abstract int nstep();

        /** Fills L with codes and writes d, dmin and the 12 scale bytes at out[oo..oo+16). */
        void searchAndScales(float[] x, int xo, byte[] out, int oo) {
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; j++) {
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) sumX2 += x[xo + 32 * j + l] * x[xo + 32 * j + l];
                float avX = (float) Math.sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[xo + 32 * j + l]);
                scales[j] = QuantMath.makeQkx2Quants(32, nmax(), x, xo + 32 * j, weights, L, 32 * j, theMin, laux, rmin(), 0.1f, nstep(), false);
                mins[j] = theMin[0];
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            for (int j = 0; j < 8; j++) {
                int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
                int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
                if (j < 4) {
                    scByte[j] = ls;
                    scByte[j + 4] = lm;
                } else {
                    scByte[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4);
                    scByte[j - 4] |= (ls >> 4) << 6;
                    scByte[j] |= (lm >> 4) << 6;
                }
            }
            putHalf(out, oo, maxScale / 63f);
            putHalf(out, oo + 2, maxMin / 63f);
            for (int i = 0; i < 12; i++) out[oo + 4 + i] = (byte) scByte[i];
            float d0 = getHalf(out, oo), dmin0 = getHalf(out, oo + 2);
            for (int j = 0; j < 8; j++) {
                int sc, m;
                if (j < 4) {
                    sc = scByte[j] & 63;
                    m = scByte[j + 4] & 63;
                } else {
                    sc = (scByte[j + 4] & 0xF) | ((scByte[j - 4] >> 6) << 4);
                    m = (scByte[j + 4] >> 4) | ((scByte[j] >> 6) << 4);
                }
                float d = d0 * sc;
                if (d == 0) continue;
                float dm = dmin0 * m;
                for (int ii = 0; ii < 32; ii++) {
                    int l = nearestInt((x[xo + 32 * j + ii] + dm) / d);
                    L[32 * j + ii] = Math.max(0, Math.min(nmax(), l));
                }
            }
        }
    }

    static final class Q4K extends Q45K {
        int nmax() { return 15; }
        float rmin() { return -1f; }
        int nstep() { return 20; }

        @Override
        public void quantize(float[] x, int xo, byte[] out, int oo) {
            // layout: d dmin scales[12] qs[128]
            searchAndScales(x, xo, out, oo);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) out[oo + 16 + 32 * c + l] = (byte) (L[64 * c + l] | (L[64 * c + 32 + l] << 4));
            }
        }
    }

    static final class Q5K extends Q45K {
        int nmax() { return 31; }
        float rmin() { return -0.5f; }
        int nstep() { return 15; }

        @Override
        public void quantize(float[] x, int xo, byte[] out, int oo) {
            // layout: d dmin scales[12] qh[32] qs[128]
            searchAndScales(x, xo, out, oo);
            int qh = oo + 16, qs = oo + 48;
            java.util.Arrays.fill(out, qh, qh + 32, (byte) 0);
            int m1 = 1, m2 = 2;
            for (int n = 0; n < 256; n += 64) {
                for (int j = 0; j < 32; j++) {
                    int l1 = L[n + j], l2 = L[n + j + 32];
                    if (l1 > 15) {
                        l1 -= 16;
                        out[qh + j] |= (byte) m1;
                    }
                    if (l2 > 15) {
                        l2 -= 16;
                        out[qh + j] |= (byte) m2;
                    }
                    out[qs + j] = (byte) (l1 | (l2 << 4));
                }
                m1 <<= 2;
                m2 <<= 2;
                qs += 32;
            }
        }
    }

    static final class Q2K implements BlockQuantizer {
        private final int[] L = new int[256], laux = new int[16];
        private final float[] scales = new float[16], mins = new float[16], weights = new float[16], theMin = new float[1];

        @Override
        public void quantize(float[] x, int xo, byte[] out, int oo) {
            // layout: scales[16] qs[64] d dmin
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 16; j++) {
                for (int l = 0; l < 16; l++) weights[l] = Math.abs(x[xo + 16 * j + l]);
                scales[j] = QuantMath.makeQkx2Quants(16, 3, x, xo + 16 * j, weights, L, 16 * j, theMin, laux, -0.5f, 0.1f, 15, true);
                mins[j] = theMin[0];
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            int[] sc = new int[16];
            if (maxScale > 0) {
                float iscale = 15f / maxScale;
                for (int j = 0; j < 16; j++) sc[j] = nearestInt(iscale * scales[j]) & 0xFF;
                putHalf(out, oo + 80, maxScale / 15f);
            } else {
                putHalf(out, oo + 80, 0f);
            }
            if (maxMin > 0) {
                float iscale = 15f / maxMin;
                for (int j = 0; j < 16; j++) sc[j] = (sc[j] | (nearestInt(iscale * mins[j]) << 4)) & 0xFF;
                putHalf(out, oo + 82, maxMin / 15f);
            } else {
                putHalf(out, oo + 82, 0f);
            }
            for (int j = 0; j < 16; j++) out[oo + j] = (byte) sc[j];
            float d0 = getHalf(out, oo + 80), dmin0 = getHalf(out, oo + 82);
            for (int j = 0; j < 16; j++) {
                float d = d0 * (sc[j] & 0xF);
                if (d == 0) continue;
                float dm = dmin0 * (sc[j] >> 4);
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt((x[xo + 16 * j + ii] + dm) / d);
                    L[16 * j + ii] = Math.max(0, Math.min(3, l));
                }
            }
            pack2bit(L, out, oo + 16);
        }
    }

    /** qs[j/4 + l] = L[j+l] | L[j+l+32]<<2 | L[j+l+64]<<4 | L[j+l+96]<<6 for each 128-chunk j. */
    static void pack2bit(int[] L, byte[] out, int qs) {
        for (int j = 0; j < 256; j += 128) {
            for (int l = 0; l < 32; l++) {
                out[qs + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
            }
        }
    }

    static final class Q3K implements BlockQuantizer {
        private final int[] L = new int[256];
        private final float[] scales = new float[16];

        @Override
        public void quantize(float[] x, int xo, byte[] out, int oo) {
            // layout: hmask[32] qs[64] scales[12] d
            float maxScale = 0, amax = 0;
            for (int j = 0; j < 16; j++) {
                scales[j] = QuantMath.makeQ3Quants(16, 4, x, xo + 16 * j, L, 16 * j);
                float s = Math.abs(scales[j]);
                if (s > amax) {
                    amax = s;
                    maxScale = scales[j];
                }
            }
            int[] sb = new int[12];
            if (maxScale != 0) {
                float iscale = -32f / maxScale;
                for (int j = 0; j < 16; j++) {
                    int l = (byte) nearestInt(iscale * scales[j]);
                    l = Math.max(-32, Math.min(31, l)) + 32;
                    if (j < 8) sb[j] = l & 0xF;
                    else sb[j - 8] |= (l & 0xF) << 4;
                    l >>= 4;
                    sb[j % 4 + 8] |= l << (2 * (j / 4));
                }
                putHalf(out, oo + 108, 1 / iscale);
            } else {
                putHalf(out, oo + 108, 0f);
            }
            for (int i = 0; i < 12; i++) out[oo + 96 + i] = (byte) sb[i];
            float d0 = getHalf(out, oo + 108);
            for (int j = 0; j < 16; j++) {
                int sc = j < 8 ? sb[j] & 0xF : (sb[j - 8] & 0xFF) >> 4;
                sc = (sc | (((sb[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
                float d = d0 * sc;
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt(x[xo + 16 * j + ii] / d);
                    L[16 * j + ii] = Math.max(-4, Math.min(3, l)) + 4;
                }
            }
            java.util.Arrays.fill(out, oo, oo + 32, (byte) 0);
            int m = 0, hm = 1;
            for (int j = 0; j < 256; j++) {
                if (L[j] > 3) {
                    out[oo + m] |= (byte) hm;
                    L[j] -= 4;
                }
                if (++m == 32) {
                    m = 0;
                    hm <<= 1;
                }
            }
            pack2bit(L, out, oo + 32);
        }
    }
}
