package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.nearestInt;

/**
 * ggml's make_qkx2_quants (REFERENCE.md B.6): codes in [0, nmax] with a scale and a min for one sub-block, the best
 * of nstep+1 candidate scales by weighted error. As in ggml, an improving candidate replaces {@code min}, and the
 * candidates after it are derived from the new min. One instance per thread (scratch arrays).
 */
final class MinScaleSearch {
    private final int[] laux;
    /** x − min for the current min; recomputed only when min changes (same float subtraction as ggml's). */
    private final float[] shifted;
    /** −min of the last search: what the K-quant blocks store (≥ 0). */
    float theMin;
    /** Vector API candidates, or null for the scalar reference. */
    private final MinScaleVectorKernels.Scratch lanes;

    /** Whether new searches take the Vector API kernels (the other constructor picks the scalar reference). */
    static final boolean SIMD = Simd.ENABLED && MinScaleVectorKernels.USABLE;

    MinScaleSearch(int maxN) {
        this(maxN, SIMD);
    }

    MinScaleSearch(int maxN, boolean simd) {
        lanes = simd ? new MinScaleVectorKernels.Scratch(maxN) : null;
        laux = new int[maxN];
        shifted = new float[maxN];
    }

    /** Writes codes to {@code L[lo..lo+n)}, the min to {@link #theMin}, and returns the scale. */
    float search(int n, int nmax, float[] x, int xo, float[] w, int[] L, int lo,
                 float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xo], max = x[xo];
        float sumW = w[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float xi = x[xo + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            float wi = w[i];
            sumW += wi;
            sumX += wi * xi;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            float xs = x[xo + i] - min;
            shifted[i] = xs;
            int l = QuantMath.clamp(nearestInt(iscale * xs), 0, nmax);
            L[lo + i] = l;
            float diff = scale * l + min - x[xo + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += w[i] * diff;
        }
        if (nstep < 1) {
            theMin = -min;
            return scale;
        }
        if (lanes != null && nstep < MinScaleVectorKernels.LANES) {
            // candidates as lanes; after an accepted candidate that moves the min, the rest are evaluated again
            for (int first = 0; first <= nstep; ) {
                MinScaleVectorKernels.evaluate(n, nmax, x, xo, w, shifted, sumW, sumX, max, min, rmin, rdelta, first, nstep, useMad, lanes);
                int next = nstep + 1;
                for (int is = first; is <= nstep; is++) {
                    int j = is - first;
                    if (lanes.d[j] > 0 && lanes.err[j] < bestError) {
                        float isc = lanes.iscale[j];
                        for (int i = 0; i < n; i++) L[lo + i] = QuantMath.clamp(nearestInt(isc * shifted[i]), 0, nmax);
                        bestError = lanes.err[j];
                        scale = lanes.scale[j];
                        boolean moved = lanes.min[j] != min;
                        min = lanes.min[j];
                        if (moved) {
                            for (int i = 0; i < n; i++) shifted[i] = x[xo + i] - min;
                            next = is + 1;
                            break;
                        }
                    }
                }
                first = next;
            }
            theMin = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min); // the current min: improvements move it
            float sumL = 0, sumL2 = 0, sumXl = 0;
            for (int i = 0; i < n; i++) {
                int l = QuantMath.clamp(nearestInt(iscale * shifted[i]), 0, nmax);
                laux[i] = l;
                float wl = w[i] * l;
                sumL += wl;
                sumL2 += wl * l;
                sumXl += wl * x[xo + i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[xo + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    curError += w[i] * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, L, lo, n);
                    bestError = curError;
                    scale = thisScale;
                    boolean moved = thisMin != min;
                    min = thisMin;
                    if (moved) for (int i = 0; i < n; i++) shifted[i] = x[xo + i] - min;
                }
            }
        }
        theMin = -min;
        return scale;
    }
}
