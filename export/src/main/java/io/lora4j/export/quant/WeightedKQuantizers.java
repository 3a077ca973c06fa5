package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.clamp;
import static io.lora4j.export.quant.QuantMath.getHalf;
import static io.lora4j.export.quant.QuantMath.nearestInt;
import static io.lora4j.export.quant.QuantMath.putHalf;

import io.lora4j.core.ggml.GgmlType;
import java.util.Arrays;

/**
 * The K-quants with an importance matrix (ggml's quantize_row_q2_K_impl … q6_K_impl). Unlike the reference paths,
 * the sub-block scales (and mins) are themselves fit against the block scale by make_qp_quants / make_qx_quants,
 * weighted by each sub-block's total weight. Value weights: qw·sqrt(σ² + x²) with σ² = mean(x²) (Q2_K) or
 * 2·mean(x²) (Q3_K, Q4_K, Q5_K) over the 256-value block; Q6_K uses qw itself. Block layouts as the reference
 * quantizers (REFERENCE.md B.7–B.10).
 */
final class WeightedKQuantizers {
    private WeightedKQuantizers() {}

    static WeightedBlockQuantizer forType(GgmlType type, float[] columnWeights) {
        if (columnWeights == null) throw new IllegalArgumentException(type + ": the importance-matrix quantizer needs weights");
        return switch (type) {
            case Q2_K -> new Q2K(columnWeights);
            case Q3_K -> new Q3K(columnWeights);
            case Q4_K, Q5_K -> new Q45K(type, columnWeights);
            case Q6_K -> new Q6K(columnWeights);
            default -> throw new IllegalArgumentException(type + " is not a K-quant");
        };
    }

    private static float sumSquares(float[] x, int xo) {
        float s = 0;
        for (int j = 0; j < 256; j++) s += x[xo + j] * x[xo + j];
        return s;
    }

    private static void weigh(float[] x, int xo, float[] qw, int qwo, float sigma2, float[] weight, int n) {
        for (int l = 0; l < n; l++) weight[l] = qw[qwo + l] * (float) Math.sqrt(sigma2 + x[xo + l] * x[xo + l]);
    }

    private static float sum(float[] w, int n) {
        float s = 0;
        for (int l = 0; l < n; l++) s += w[l];
        return s;
    }

    /** Q2_K: 16 sub-blocks of 16 fit by make_qkx3_quants (nmax 3), 4-bit scales and mins by make_qp_quants. */
    private static final class Q2K extends WeightedBlockQuantizer {
        private final WeightedSearch search = new WeightedSearch(16);
        private final int[] L = new int[256], ls = new int[16], lm = new int[16];
        private final float[] scales = new float[16], mins = new float[16], sw = new float[16], weight = new float[16];

        Q2K(float[] w) { super(GgmlType.Q2_K, w); }

        @Override
        void quantizeBlocks(float[] x, int xo, float[] qw, int qwo, int nBlocks, byte[] out, int oo) {
            for (int b = 0; b < nBlocks; b++, xo += 256, qwo += 256, oo += 84) {
                float sigma2 = sumSquares(x, xo) / 256;
                for (int j = 0; j < 16; j++) {
                    weigh(x, xo + 16 * j, qw, qwo + 16 * j, sigma2, weight, 16);
                    sw[j] = sum(weight, 16);
                    scales[j] = search.qkx3(16, 3, x, xo + 16 * j, weight, L, 16 * j, -0.9f, 0.05f, 36);
                    mins[j] = search.theMin;
                }
                putHalf(out, oo + 80, search.qp(16, 15, scales, ls, sw));
                putHalf(out, oo + 82, search.qp(16, 15, mins, lm, sw));
                float dm = getHalf(out, oo + 80), mm = getHalf(out, oo + 82);
                for (int j = 0; j < 16; j++) out[oo + j] = (byte) (ls[j] | (lm[j] << 4));
                for (int j = 0; j < 16; j++) {
                    int sc = out[oo + j] & 0xFF;
                    float d = dm * (sc & 0xF);
                    if (d == 0) continue;
                    float m = mm * (sc >> 4);
                    for (int ii = 0; ii < 16; ii++) L[16 * j + ii] = clamp(nearestInt((x[xo + 16 * j + ii] + m) / d), 0, 3);
                }
                Q2KQuantizer.pack2Bit(L, out, oo + 16);
            }
        }
    }

    /** Q3_K: 16 symmetric sub-blocks by make_qx_quants (nmax 4), their scales by make_qx_quants (nmax 32). */
    private static final class Q3K extends WeightedBlockQuantizer {
        private final WeightedSearch search = new WeightedSearch(16);
        private final int[] L = new int[256], ls = new int[16], packed = new int[12];
        private final float[] scales = new float[16], sw = new float[16], weight = new float[16];

        Q3K(float[] w) { super(GgmlType.Q3_K, w); }

        @Override
        void quantizeBlocks(float[] x, int xo, float[] qw, int qwo, int nBlocks, byte[] out, int oo) {
            for (int b = 0; b < nBlocks; b++, xo += 256, qwo += 256, oo += 110) {
                float sigma2 = 2 * sumSquares(x, xo) / 256;
                for (int j = 0; j < 16; j++) {
                    weigh(x, xo + 16 * j, qw, qwo + 16 * j, sigma2, weight, 16);
                    sw[j] = sum(weight, 16);
                    scales[j] = search.qx(16, 4, x, xo + 16 * j, weight, 0, L, 16 * j);
                }
                Arrays.fill(packed, 0);
                float dBlock = search.qx(16, 32, scales, 0, sw, 0, ls, 0);
                for (int j = 0; j < 16; j++) {
                    int l = ls[j];
                    if (j < 8) packed[j] = l & 0xF;
                    else packed[j - 8] |= (l & 0xF) << 4;
                    packed[8 + j % 4] |= (l >> 4) << (2 * (j / 4));
                }
                for (int i = 0; i < 12; i++) out[oo + 96 + i] = (byte) packed[i];
                putHalf(out, oo + 108, dBlock);
                float d0 = getHalf(out, oo + 108);
                for (int j = 0; j < 16; j++) {
                    int sc = j < 8 ? out[oo + 96 + j] & 0xF : (out[oo + 96 + j - 8] & 0xFF) >> 4;
                    sc = (byte) ((sc | (((out[oo + 96 + 8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3) << 4) - 32); // int8_t sc
                    float d = d0 * sc;
                    if (d == 0) continue;
                    for (int ii = 0; ii < 16; ii++) L[16 * j + ii] = clamp(nearestInt(x[xo + 16 * j + ii] / d), -4, 3) + 4;
                }
                Arrays.fill(out, oo, oo + 32, (byte) 0);
                for (int j = 0; j < 256; j++) {
                    if (L[j] > 3) {
                        out[oo + (j & 31)] |= (byte) (1 << (j >> 5));
                        L[j] -= 4;
                    }
                }
                Q2KQuantizer.pack2Bit(L, out, oo + 32);
            }
        }
    }

    /** Q4_K / Q5_K: 8 sub-blocks of 32 by make_qkx3_quants, 6-bit scales and mins by make_qp_quants (nmax 63). */
    private static final class Q45K extends WeightedBlockQuantizer {
        private final boolean five;
        private final int nmax;
        private final WeightedSearch search = new WeightedSearch(32);
        private final int[] L = new int[256], ls = new int[8], lm = new int[8], packed = new int[12];
        private final float[] scales = new float[8], mins = new float[8], sw = new float[8], weight = new float[32];

        Q45K(GgmlType type, float[] w) {
            super(type, w);
            five = type == GgmlType.Q5_K;
            nmax = five ? 31 : 15;
        }

        @Override
        void quantizeBlocks(float[] x, int xo, float[] qw, int qwo, int nBlocks, byte[] out, int oo) {
            int size = type().typeSize;
            for (int b = 0; b < nBlocks; b++, xo += 256, qwo += 256, oo += size) {
                float sigma2 = 2 * sumSquares(x, xo) / 256;
                for (int j = 0; j < 8; j++) {
                    weigh(x, xo + 32 * j, qw, qwo + 32 * j, sigma2, weight, 32);
                    sw[j] = sum(weight, 32);
                    scales[j] = search.qkx3(32, nmax, x, xo + 32 * j, weight, L, 32 * j, -0.9f, 0.05f, 36);
                    mins[j] = search.theMin;
                }
                float dBlock = search.qp(8, 63, scales, ls, sw);
                float mBlock = search.qp(8, 63, mins, lm, sw);
                for (int j = 0; j < 8; j++) {
                    int s = five ? Math.min(63, ls[j]) : ls[j], m = five ? Math.min(63, lm[j]) : lm[j];
                    if (j < 4) {
                        packed[j] = s;
                        packed[j + 4] = m;
                    } else {
                        packed[j + 4] = (s & 0xF) | ((m & 0xF) << 4);
                        packed[j - 4] = (packed[j - 4] | ((s >> 4) << 6)) & 0xFF;
                        packed[j] = (packed[j] | ((m >> 4) << 6)) & 0xFF;
                    }
                }
                for (int i = 0; i < 12; i++) out[oo + 4 + i] = (byte) packed[i];
                putHalf(out, oo, dBlock);
                putHalf(out, oo + 2, mBlock);
                float d0 = getHalf(out, oo), dmin0 = getHalf(out, oo + 2);
                for (int j = 0; j < 8; j++) {
                    int sc, m;
                    if (j < 4) {
                        sc = packed[j] & 63;
                        m = packed[j + 4] & 63;
                    } else {
                        sc = (packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4);
                        m = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
                    }
                    float d = d0 * sc;
                    if (d == 0) continue;
                    float dm = dmin0 * m;
                    for (int ii = 0; ii < 32; ii++) L[32 * j + ii] = clamp(nearestInt((x[xo + 32 * j + ii] + dm) / d), 0, nmax);
                }
                if (five) {
                    int qh = oo + 16, qs = oo + 48;
                    Arrays.fill(out, qh, qh + 32, (byte) 0);
                    for (int c = 0; c < 4; c++) {
                        for (int l = 0; l < 32; l++) {
                            int l1 = L[64 * c + l], l2 = L[64 * c + 32 + l];
                            out[qh + l] |= (byte) (((l1 >> 4) << (2 * c)) | ((l2 >> 4) << (2 * c + 1)));
                            out[qs + 32 * c + l] = (byte) ((l1 & 0xF) | ((l2 & 0xF) << 4));
                        }
                    }
                } else {
                    for (int c = 0; c < 4; c++) {
                        for (int l = 0; l < 32; l++) out[oo + 16 + 32 * c + l] = (byte) (L[64 * c + l] | (L[64 * c + 32 + l] << 4));
                    }
                }
            }
        }
    }

    /** Q6_K: as the reference, but each sub-block's make_qx_quants is weighted by qw directly. */
    private static final class Q6K extends WeightedBlockQuantizer {
        private final WeightedSearch search = new WeightedSearch(16);
        private final int[] L = new int[256];
        private final float[] scales = new float[16];

        Q6K(float[] w) { super(GgmlType.Q6_K, w); }

        @Override
        void quantizeBlocks(float[] x, int xo, float[] qw, int qwo, int nBlocks, byte[] out, int oo) {
            for (int b = 0; b < nBlocks; b++, xo += 256, qwo += 256, oo += 210) {
                float maxScale = 0, maxAbsScale = 0;
                for (int ib = 0; ib < 16; ib++) {
                    float scale = search.qx(16, 32, x, xo + 16 * ib, qw, qwo + 16 * ib, L, 16 * ib);
                    scales[ib] = scale;
                    float abs = Math.abs(scale);
                    if (abs > maxAbsScale) {
                        maxAbsScale = abs;
                        maxScale = scale;
                    }
                }
                if (maxAbsScale < QuantMath.GROUP_MAX_EPS) {
                    Arrays.fill(out, oo, oo + 210, (byte) 0);
                    continue;
                }
                float iscale = -128f / maxScale;
                putHalf(out, oo + 208, 1 / iscale);
                for (int ib = 0; ib < 16; ib++) out[oo + 192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
                float d0 = getHalf(out, oo + 208);
                for (int j = 0; j < 16; j++) {
                    float d = d0 * out[oo + 192 + j];
                    if (d == 0) continue;
                    for (int ii = 0; ii < 16; ii++) L[16 * j + ii] = clamp(nearestInt(x[xo + 16 * j + ii] / d), -32, 31) + 32;
                }
                for (int h = 0; h < 2; h++) {
                    int j = 128 * h, ql = oo + 64 * h, qh = oo + 128 + 32 * h;
                    for (int l = 0; l < 32; l++) {
                        int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
                        out[ql + l] = (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4));
                        out[ql + l + 32] = (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4));
                        out[qh + l] = (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
                    }
                }
            }
        }
    }
}
