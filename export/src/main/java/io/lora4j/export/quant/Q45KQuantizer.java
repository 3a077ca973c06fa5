package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.clamp;
import static io.lora4j.export.quant.QuantMath.getHalf;
import static io.lora4j.export.quant.QuantMath.nearestInt;
import static io.lora4j.export.quant.QuantMath.putHalf;

import io.lora4j.core.ggml.GgmlType;
import java.util.Arrays;

/**
 * Q4_K and Q5_K (REFERENCE.md B.7, B.8): 8 sub-blocks of 32, each fit with a scale and a min
 * (make_qkx2_quants, weights av_x + |x|), both quantized to 6 bits against fp16 d and dmin and packed into 12
 * bytes. Codes are then re-derived from the rounded scales; a sub-block whose scale rounds to 0 keeps its search's
 * codes. Layout: d dmin scales[12] (qh[32] for Q5_K) qs[128].
 */
final class Q45KQuantizer extends BlockQuantizer {
    private final boolean five;
    private final int nmax, nstep;
    private final float rmin;
    private final boolean simd;
    private final MinScaleSearch search;
    private final int[] L = new int[256];
    private final float[] scales = new float[8], mins = new float[8], weights = new float[32];
    private final int[] packed = new int[12];

    private Q45KQuantizer(GgmlType type, boolean five, int nmax, float rmin, int nstep, boolean simd) {
        super(type);
        this.simd = simd && SymmetricSearch.SIMD && SymmetricVectorKernels.VL <= 32;
        search = new MinScaleSearch(32, simd);
        this.five = five;
        this.nmax = nmax;
        this.rmin = rmin;
        this.nstep = nstep;
    }

    static Q45KQuantizer q4K() {
        return q4K(MinScaleSearch.SIMD);
    }

    static Q45KQuantizer q5K() {
        return q5K(MinScaleSearch.SIMD);
    }

    /** With {@code simd} false, the scalar reference throughout. */
    static Q45KQuantizer q4K(boolean simd) {
        return new Q45KQuantizer(GgmlType.Q4_K, false, 15, -1f, 20, simd);
    }

    static Q45KQuantizer q5K(boolean simd) {
        return new Q45KQuantizer(GgmlType.Q5_K, true, 31, -0.5f, 15, simd);
    }

    @Override
    void quantizeBlocks(float[] x, int xo, int nBlocks, byte[] out, int oo) {
        int size = type().typeSize;
        for (int b = 0; b < nBlocks; b++, xo += 256, oo += size) {
            codesAndScales(x, xo, out, oo);
            if (five) packQ5(out, oo);
            else packQ4(out, oo);
        }
    }

    /** Fills L and writes d, dmin and the 12 scale bytes at out[oo..oo+16). */
    private void codesAndScales(float[] x, int xo, byte[] out, int oo) {
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            int s = xo + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[s + l] * x[s + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[s + l]);
            scales[j] = search.search(32, nmax, x, s, weights, L, 32 * j, rmin, 0.1f, nstep, false);
            mins[j] = search.theMin;
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF); // uint8 store, then MIN
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                packed[j] = ls;
                packed[j + 4] = lm;
            } else {
                packed[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4);
                packed[j - 4] |= (ls >> 4) << 6;
                packed[j] |= (lm >> 4) << 6;
            }
        }
        putHalf(out, oo, maxScale / 63f);
        putHalf(out, oo + 2, maxMin / 63f);
        for (int i = 0; i < 12; i++) out[oo + 4 + i] = (byte) packed[i];
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
            if (simd) SymmetricVectorKernels.requantizeShifted(x, xo + 32 * j, dm, d, 32, 0, nmax, L, 32 * j);
            else for (int ii = 0; ii < 32; ii++) L[32 * j + ii] = clamp(nearestInt((x[xo + 32 * j + ii] + dm) / d), 0, nmax);
        }
    }

    /** qs[32c + l] = L[64c + l] | L[64c + 32 + l] << 4. */
    private void packQ4(byte[] out, int oo) {
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) out[oo + 16 + 32 * c + l] = (byte) (L[64 * c + l] | (L[64 * c + 32 + l] << 4));
        }
    }

    /** Low nibbles as Q4_K; bit 4 of the two codes of chunk c goes to bits 2c and 2c+1 of qh[l]. */
    private void packQ5(byte[] out, int oo) {
        int qh = oo + 16, qs = oo + 48;
        Arrays.fill(out, qh, qh + 32, (byte) 0);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                int l1 = L[64 * c + l], l2 = L[64 * c + 32 + l];
                out[qh + l] |= (byte) (((l1 >> 4) << (2 * c)) | ((l2 >> 4) << (2 * c + 1)));
                out[qs + 32 * c + l] = (byte) ((l1 & 0xF) | ((l2 & 0xF) << 4));
            }
        }
    }
}
