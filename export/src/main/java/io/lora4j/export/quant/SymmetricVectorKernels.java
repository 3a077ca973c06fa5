package io.lora4j.export.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API parts of {@link SymmetricSearch}. make_qx_quants tries 18 candidate scales whose sums are independent
 * of each other: here each candidate is a lane, and every lane adds its terms in C's element order, so each
 * candidate's sums are the same floats as the scalar loop's; only the choice of the best stays scalar and in
 * order. Loaded only when {@link Simd#ENABLED}.
 */
final class SymmetricVectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final int VL = F.length();
    static final boolean USABLE = VL >= 4 && I.length() == VL;
    /** Lanes for the 18 candidates, a whole number of vectors. */
    private static final int LANES = (18 + VL - 1) / VL * VL;

    private SymmetricVectorKernels() {}

    /** nearest_int(v) exactly as {@link QuantMath#nearestInt} (the same bit trick, for any v), then clamped. */
    static IntVector nearestClamped(FloatVector v, int lo, int hi) {
        return v.add(12582912f).reinterpretAsInts().and(0x007FFFFF).sub(0x00400000).max(lo).min(hi);
    }

    /** Exact float of an int vector whose lanes are within ±2^22 (JDK 17 has no fast I2F). */
    static FloatVector toFloat(IntVector l) {
        return l.add(0x4B400000).reinterpretAsFloats().sub(12582912f);
    }

    /** Per-thread scratch: candidate inverse scales and their sums; make_q3_quants' running sums. */
    static final class Scratch {
        final float[] iscale = new float[LANES], sumlx = new float[LANES], suml2 = new float[LANES];
        float q3sumlx, q3suml2;
    }

    private static final int[] IOTA = new int[64];

    static {
        for (int i = 0; i < IOTA.length; i++) IOTA[i] = i;
    }

    /**
     * The 18 candidate scales of make_qx_quants (is = −9..−1, 1..9) for x[xo..xo+n) with weights w and w·x:
     * leaves each candidate's sumlx and suml2 in {@code s}.
     */
    static void qxCandidates(int n, int nmax, float max, float[] x, int xo, float[] w, float[] wx, Scratch s) {
        for (int k = 0; k < LANES; k++) {
            int is = k < 9 ? k - 9 : k < 18 ? k - 8 : 9; // lanes past the 18th repeat the last candidate
            s.iscale[k] = -(nmax + 0.1f * is) / max;
        }
        for (int v = 0; v < LANES; v += VL) {
            FloatVector isc = FloatVector.fromArray(F, s.iscale, v);
            FloatVector sumlx = FloatVector.zero(F), suml2 = FloatVector.zero(F);
            for (int i = 0; i < n; i++) {
                FloatVector l = toFloat(nearestClamped(isc.mul(x[xo + i]), -nmax, nmax - 1));
                sumlx = sumlx.add(l.mul(wx[i]));
                suml2 = suml2.add(l.mul(w[i]).mul(l));
            }
            sumlx.intoArray(s.sumlx, v);
            suml2.intoArray(s.suml2, v);
        }
    }

    /** L[lo+i] = clamp(nearest_int(x[xo+i] / d), min, max) + offset for i < n (n a multiple of the lanes). */
    static void requantize(float[] x, int xo, float d, int n, int min, int max, int offset, int[] L, int lo) {
        for (int i = 0; i < n; i += VL) {
            nearestClamped(FloatVector.fromArray(F, x, xo + i).div(d), min, max).add(offset).intoArray(L, lo + i);
        }
    }

    /**
     * make_q3_quants' coordinate descent (up to 5 passes over single codes) on x[xo..xo+n), codes L[lo..lo+n) in
     * [−nmax, nmax), running sums in {@code s.q3sumlx}, {@code s.q3suml2}. An element whose new code equals its old
     * one (or whose slx ≤ 0) changes nothing, so all elements of a chunk are evaluated at once against the current
     * sums, with the scalar code's float operations lane by lane; only the first element that proposes a change is
     * then decided in scalar code, and the chunk is re-evaluated only when that change was taken.
     */
    static boolean q3Descent(int n, int nmax, float[] x, int xo, float[] w, float[] wx, int[] L, int lo, Scratch s) {
        float sumlx = s.q3sumlx, suml2 = s.q3suml2;
        boolean any = false;
        for (int itry = 0; itry < 5; itry++) {
            boolean changed = false;
            for (int c = 0; c < n; c += VL) {
                FloatVector xv = FloatVector.fromArray(F, x, xo + c), wv = FloatVector.fromArray(F, w, c), wxv = FloatVector.fromArray(F, wx, c);
                IntVector iota = IntVector.fromArray(I, IOTA, 0);
                VectorMask<Integer> cand = proposals(nmax, xv, wv, wxv, IntVector.fromArray(I, L, lo + c), sumlx, suml2);
                while (cand.anyTrue()) {
                    int k = iota.blend(VL, cand.not()).reduceLanes(VectorOperators.MIN);
                    int i = c + k, li = L[lo + i];
                    float slx = sumlx - wx[i] * li;
                    float sl2 = suml2 - w[i] * li * li;
                    int newL = QuantMath.clamp(QuantMath.nearestInt(x[xo + i] * sl2 / slx), -nmax, nmax - 1);
                    slx += wx[i] * newL;
                    sl2 += w[i] * newL * newL;
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[lo + i] = newL;
                        sumlx = slx;
                        suml2 = sl2;
                        changed = true;
                        cand = proposals(nmax, xv, wv, wxv, IntVector.fromArray(I, L, lo + c), sumlx, suml2);
                    }
                    cand = cand.and(iota.compare(VectorOperators.GT, k));
                }
            }
            any |= changed;
            if (!changed) break;
        }
        s.q3sumlx = sumlx;
        s.q3suml2 = suml2;
        return any;
    }

    /** Lanes whose element would propose a new code against the sums: slx > 0 and the rounded code differs. */
    private static VectorMask<Integer> proposals(int nmax, FloatVector xv, FloatVector wv, FloatVector wxv, IntVector l,
                                                 float sumlx, float suml2) {
        FloatVector lf = toFloat(l);
        FloatVector slx = FloatVector.broadcast(F, sumlx).sub(wxv.mul(lf));
        FloatVector sl2 = FloatVector.broadcast(F, suml2).sub(wv.mul(lf).mul(lf));
        IntVector newL = nearestClamped(xv.mul(sl2).div(slx), -nmax, nmax - 1);
        return slx.compare(VectorOperators.GT, 0f).cast(I).and(newL.compare(VectorOperators.NE, l));
    }

    /** L[lo+i] = clamp(nearest_int((x[xo+i] + dm) / d), min, max) for i < n (n a multiple of the lanes). */
    static void requantizeShifted(float[] x, int xo, float dm, float d, int n, int min, int max, int[] L, int lo) {
        for (int i = 0; i < n; i += VL) {
            nearestClamped(FloatVector.fromArray(F, x, xo + i).add(dm).div(d), min, max).intoArray(L, lo + i);
        }
    }

    /**
     * Q3_K's code layout from 256 codes 0..7: bit 2 of code j to bit j/32 of hmask[j % 32] (out[oo..oo+32)), the
     * low two bits as Q2_K's 2-bit planes (out[oo+32..oo+96)). Integer work only; the same bytes as the scalar loops.
     */
    static void packQ3(int[] L, byte[] out, int oo) {
        for (int l = 0; l < 32; l += VL) {
            IntVector h = IntVector.zero(I);
            for (int g = 0; g < 8; g++) h = h.or(IntVector.fromArray(I, L, 32 * g + l).lanewise(VectorOperators.LSHR, 2).and(1).lanewise(VectorOperators.LSHL, g));
            LegacyVectorKernels.storeBytes(h, out, oo + l);
            for (int j = 0; j < 256; j += 128) {
                IntVector q = IntVector.fromArray(I, L, j + l).and(3)
                        .or(IntVector.fromArray(I, L, j + l + 32).and(3).lanewise(VectorOperators.LSHL, 2))
                        .or(IntVector.fromArray(I, L, j + l + 64).and(3).lanewise(VectorOperators.LSHL, 4))
                        .or(IntVector.fromArray(I, L, j + l + 96).and(3).lanewise(VectorOperators.LSHL, 6));
                LegacyVectorKernels.storeBytes(q, out, oo + 32 + j / 4 + l);
            }
        }
    }

    /**
     * {@link QuantMath#signedMaxAbs} for n a multiple of the lanes: the maximum |x| is exact in any order, and the
     * first element reaching it is C's winner. A NaN (which C's strict {@code >} never picks) goes to the scalar scan.
     */
    static float signedMaxAbs(float[] x, int xo, int n) {
        // |x| bits order as the magnitudes, with a NaN above infinity; integer max is one instruction
        IntVector m = absBits(x, xo);
        for (int i = VL; i < n; i += VL) m = m.max(absBits(x, xo + i));
        int amax = m.reduceLanes(VectorOperators.MAX);
        if (amax > 0x7F800000) return QuantMath.signedMaxAbs(x, xo, n);
        if (amax == 0) return 0f; // C keeps its initial 0 (never a −0.0 element)
        IntVector iota = IntVector.fromArray(I, IOTA, 0);
        for (int i = 0; ; i += VL) {
            VectorMask<Integer> hit = absBits(x, xo + i).compare(VectorOperators.EQ, amax);
            if (hit.anyTrue()) return x[xo + i + iota.blend(VL, hit.not()).reduceLanes(VectorOperators.MIN)];
        }
    }

    private static IntVector absBits(float[] x, int xo) {
        return FloatVector.fromArray(F, x, xo).reinterpretAsInts().and(0x7FFFFFFF);
    }
}
