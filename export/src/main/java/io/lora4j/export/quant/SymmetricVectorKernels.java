package io.lora4j.export.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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

    /** Per-thread scratch: candidate inverse scales and their sums. */
    static final class Scratch {
        final float[] iscale = new float[LANES], sumlx = new float[LANES], suml2 = new float[LANES];
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
}
