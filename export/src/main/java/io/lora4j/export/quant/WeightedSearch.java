package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.GROUP_MAX_EPS;
import static io.lora4j.export.quant.QuantMath.clamp;
import static io.lora4j.export.quant.QuantMath.nearestInt;

/**
 * ggml's scale searches as its importance-matrix paths call them (the *_impl quantizers of ggml-quants.c):
 * make_qx_quants with explicit weights, make_qkx3_quants (use_mad false) and make_qp_quants. Plain float arithmetic
 * in C's order. One instance per thread (scratch arrays).
 */
final class WeightedSearch {
    private final int[] laux;
    /** The min of the last {@link #qkx3}, negated as ggml's the_min (≥ 0). */
    float theMin;

    WeightedSearch(int maxN) {
        laux = new int[maxN];
    }

    /**
     * make_qx_quants(n, nmax, x, L, rmse_type 1, w): symmetric codes L in [0, 2·nmax) at {@code L[lo..]}, the best
     * of the start −nmax/max and 18 nearby inverse scales by Σw·x·l² / Σw·l²; returns the scale.
     */
    float qx(int n, int nmax, float[] x, int xo, float[] w, int wo, int[] L, int lo) {
        float max = QuantMath.signedMaxAbs(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp(nearestInt(iscale * x[xo + i]), -nmax, nmax - 1);
            L[lo + i] = l + nmax;
            float wi = w[wo + i];
            sumlx += wi * x[xo + i] * l;
            suml2 += wi * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(nearestInt(iscale * x[xo + i]), -nmax, nmax - 1);
                laux[i] = l;
                float wi = w[wo + i];
                sumlx += wi * x[xo + i] * l;
                suml2 += wi * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) L[lo + i] = laux[i] + nmax;
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * make_qkx3_quants(n, nmax, x, w, L, the_min, Laux, rmin, rdelta, nstep, use_mad = false): codes in [0, nmax]
     * with a scale and a min ≤ 0, the best of nstep+1 candidates by weighted squared error; an improving candidate's
     * min is used by the candidates after it. Min (negated) to {@link #theMin}; returns the scale.
     */
    float qkx3(int n, int nmax, float[] x, int xo, float[] w, int[] L, int lo, float rmin, float rdelta, int nstep) {
        float min = x[xo], max = x[xo];
        float sumW = w[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float xi = x[xo + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            sumW += w[i];
            sumX += w[i] * xi;
        }
        if (min > 0) min = 0;
        if (max <= min) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestMad = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp(nearestInt(iscale * (x[xo + i] - min)), 0, nmax);
            L[lo + i] = l;
            float diff = scale * l + min - x[xo + i];
            bestMad += w[i] * (diff * diff);
        }
        if (nstep < 1) {
            theMin = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXl = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(nearestInt(iscale * (x[xo + i] - min)), 0, nmax);
                laux[i] = l;
                float wi = w[i];
                sumL += wi * l;
                sumL2 += wi * l * l;
                sumXl += wi * l * x[xo + i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float mad = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[xo + i];
                    mad += w[i] * (diff * diff);
                }
                if (mad < bestMad) {
                    System.arraycopy(laux, 0, L, lo, n);
                    bestMad = mad;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    /**
     * make_qp_quants(n, nmax, x, L, w): codes for n non-negative values (sub-block scales or mins) against one
     * scale, the best of 9 inverse scales by weighted squared error, then up to 5 passes of coordinate descent.
     * Codes are uint8_t in ggml: each store keeps the low 8 bits, and the stored code is what later reads see.
     */
    float qp(int n, int nmax, float[] x, int[] L, float[] w) {
        float max = 0;
        for (int i = 0; i < n; i++) max = max > x[i] ? max : x[i];
        if (max == 0) {
            for (int i = 0; i < n; i++) L[i] = 0;
            return 0f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; i++) L[i] = nearestInt(iscale * x[i]) & 0xFF;
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; i++) {
            float diff = x[i] - scale * L[i];
            bestMse += w[i] * diff * diff;
        }
        for (int is = -4; is <= 4; is++) {
            if (is == 0) continue;
            float iscaleIs = (0.1f * is + nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.min(nmax, nearestInt(iscaleIs * x[i]));
                float diff = x[i] - scaleIs * l;
                mse += w[i] * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.min(nmax, nearestInt(iscale * x[i]));
            L[i] = l & 0xFF;
            sumlx += w[i] * x[i] * l;
            suml2 += w[i] * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            boolean changed = false;
            for (int i = 0; i < n; i++) {
                float wi = w[i];
                int li = L[i];
                float slx = sumlx - wi * x[i] * li;
                float sl2 = suml2 - wi * li * li;
                if (slx > 0 && sl2 > 0) {
                    int newL = Math.min(nmax, nearestInt(x[i] * sl2 / slx));
                    if (newL != li) {
                        slx += wi * x[i] * newL;
                        sl2 += wi * newL * newL;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[i] = newL & 0xFF;
                            sumlx = slx;
                            suml2 = sl2;
                            changed = true;
                        }
                    }
                }
            }
            if (!changed) break;
        }
        return sumlx / suml2;
    }
}
