package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.GROUP_MAX_EPS;
import static io.lora4j.export.quant.QuantMath.clamp;
import static io.lora4j.export.quant.QuantMath.nearestInt;

/**
 * ggml's symmetric sub-block fits with weights x² (REFERENCE.md B.6): make_qx_quants (rmse_type 1, no importance
 * matrix; Q6_K) and make_q3_quants (do_rmse; Q3_K). w·x is precomputed once per sub-block: the same float product
 * ggml forms inside every sum. One instance per thread (scratch arrays).
 */
final class SymmetricSearch {
    private final float[] w, wx;
    private final int[] laux, lauxB;
    /** Vector API candidates, or null for the scalar reference. */
    private final SymmetricVectorKernels.Scratch lanes;

    SymmetricSearch(int maxN) {
        this(maxN, SIMD);
    }

    /** Whether new searches take the Vector API kernels (the other constructor picks the scalar reference). */
    static final boolean SIMD = Simd.ENABLED && SymmetricVectorKernels.USABLE;

    SymmetricSearch(int maxN, boolean simd) {
        lanes = simd ? new SymmetricVectorKernels.Scratch() : null;
        w = new float[maxN];
        wx = new float[maxN];
        laux = new int[maxN];
        lauxB = new int[maxN];
    }

    private float signedMaxAbs(float[] x, int xo, int n) {
        return lanes != null && n % SymmetricVectorKernels.VL == 0 ? SymmetricVectorKernels.signedMaxAbs(x, xo, n) : QuantMath.signedMaxAbs(x, xo, n);
    }

    private void weigh(float[] x, int xo, int n) {
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            float wi = xi * xi;
            w[i] = wi;
            wx[i] = wi * xi;
        }
    }

    /** make_qx_quants(n, nmax, x, L, rmse_type=1, qw=NULL): codes L in [0, 2·nmax), returns the (signed) scale. */
    float qx(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = signedMaxAbs(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        weigh(x, xo, n);
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp(nearestInt(iscale * x[xo + i]), -nmax, nmax - 1);
            L[lo + i] = l + nmax;
            sumlx += wx[i] * l;
            suml2 += w[i] * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        if (lanes != null) return bestCandidate(n, nmax, max, x, xo, L, lo, scale, best);
        // The 18 candidates' sums are independent of each other; only choosing the best is sequential. Two
        // candidates per pass give the CPU two independent chains of float additions (each still in C's order).
        for (int k = 0; k < 18; k += 2) {
            int isA = k < 9 ? k - 9 : k - 8, isB = k + 1 < 9 ? k - 8 : k - 7; // candidates -9..-1, then 1..9
            float iscaleA = -(nmax + 0.1f * isA) / max, iscaleB = -(nmax + 0.1f * isB) / max;
            float sumlxA = 0, suml2A = 0, sumlxB = 0, suml2B = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i], wi = w[i], wxi = wx[i];
                int la = clamp(nearestInt(iscaleA * xi), -nmax, nmax - 1);
                int lb = clamp(nearestInt(iscaleB * xi), -nmax, nmax - 1);
                laux[i] = la;
                lauxB[i] = lb;
                sumlxA += wxi * la;
                suml2A += wi * la * la;
                sumlxB += wxi * lb;
                suml2B += wi * lb * lb;
            }
            if (suml2A > 0 && sumlxA * sumlxA > best * suml2A) {
                for (int i = 0; i < n; i++) L[lo + i] = laux[i] + nmax;
                scale = sumlxA / suml2A;
                best = scale * sumlxA;
            }
            if (suml2B > 0 && sumlxB * sumlxB > best * suml2B) {
                for (int i = 0; i < n; i++) L[lo + i] = lauxB[i] + nmax;
                scale = sumlxB / suml2B;
                best = scale * sumlxB;
            }
        }
        return scale;
    }

    /** The scalar loop's choice among the vector kernel's candidate sums, in the same order. */
    private float bestCandidate(int n, int nmax, float max, float[] x, int xo, int[] L, int lo, float scale, float best) {
        SymmetricVectorKernels.qxCandidates(n, nmax, max, x, xo, w, wx, lanes);
        int winner = -1;
        for (int k = 0; k < 18; k++) {
            float sumlx = lanes.sumlx[k], suml2 = lanes.suml2[k];
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                winner = k;
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        if (winner >= 0) {
            float iscale = lanes.iscale[winner];
            for (int i = 0; i < n; i++) L[lo + i] = clamp(nearestInt(iscale * x[xo + i]), -nmax, nmax - 1) + nmax;
        }
        return scale;
    }

    /**
     * make_q3_quants(n, nmax, x, L, do_rmse=true): the symmetric start, then up to 5 passes of coordinate descent
     * on single codes; codes L in [0, 2·nmax) (left at 0 for an all-zero sub-block), returns the scale.
     */
    float q3(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = signedMaxAbs(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        weigh(x, xo, n);
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp(nearestInt(iscale * x[xo + i]), -nmax, nmax - 1);
            L[lo + i] = l;
            sumlx += wx[i] * l;
            suml2 += w[i] * l * l;
        }
        if (lanes != null && n % SymmetricVectorKernels.VL == 0) {
            lanes.q3sumlx = sumlx;
            lanes.q3suml2 = suml2;
            SymmetricVectorKernels.q3Descent(n, nmax, x, xo, w, wx, L, lo, lanes);
            sumlx = lanes.q3sumlx;
            suml2 = lanes.q3suml2;
        } else {
            for (int itry = 0; itry < 5; itry++) {
                boolean changed = false;
                for (int i = 0; i < n; i++) {
                    int li = L[lo + i];
                    float slx = sumlx - wx[i] * li;
                    if (slx > 0) {
                        float sl2 = suml2 - w[i] * li * li;
                        int newL = clamp(nearestInt(x[xo + i] * sl2 / slx), -nmax, nmax - 1);
                        if (newL != li) {
                            slx += wx[i] * newL;
                            sl2 += w[i] * newL * newL;
                            if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                                L[lo + i] = newL;
                                sumlx = slx;
                                suml2 = sl2;
                                changed = true;
                            }
                        }
                    }
                }
                if (!changed) break;
            }
        }
        for (int i = 0; i < n; i++) L[lo + i] += nmax;
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }
}
