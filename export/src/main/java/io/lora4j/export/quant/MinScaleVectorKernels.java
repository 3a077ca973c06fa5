package io.lora4j.export.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API part of {@link MinScaleSearch}: the candidate scales of make_qkx2_quants as lanes. For a given min,
 * each candidate's sums and error are independent of the others; every lane performs the scalar loop's float
 * operations in its element order, so the values are the same. The caller walks the lanes in order as the scalar
 * loop does, and evaluates the remaining candidates again when an accepted one moves the min.
 * Loaded only when {@link Simd#ENABLED}.
 */
final class MinScaleVectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int VL = F.length();
    static final boolean USABLE = VL >= 4 && IntVector.SPECIES_PREFERRED.length() == VL;
    /** The most candidates (Q4_K: nstep 20) in whole vectors. */
    static final int LANES = (21 + VL - 1) / VL * VL;

    private MinScaleVectorKernels() {}

    /** Per-thread scratch; per lane j (candidate first + j): inverse scale, D, scale, min, error. */
    static final class Scratch {
        final float[] iscale = new float[LANES], d = new float[LANES], scale = new float[LANES], min = new float[LANES], err = new float[LANES];
        private final float[] codes;

        Scratch(int maxN) {
            codes = new float[maxN * LANES];
        }
    }

    /**
     * Candidates first..nstep for x[xo..xo+n) with weights w, x − min in {@code shifted}, and the scalar loop's
     * sumW, sumX, max and current min.
     */
    static void evaluate(int n, int nmax, float[] x, int xo, float[] w, float[] shifted, float sumW, float sumX,
                         float max, float min, float rmin, float rdelta, int first, int nstep, boolean useMad, Scratch s) {
        int count = nstep + 1 - first;
        for (int j = 0; j < count; j++) s.iscale[j] = (rmin + rdelta * (first + j) + nmax) / (max - min);
        for (int v = 0; v < count; v += VL) {
            FloatVector isc = FloatVector.fromArray(F, s.iscale, v);
            FloatVector sumL = FloatVector.zero(F), sumL2 = sumL, sumXl = sumL;
            for (int i = 0; i < n; i++) {
                FloatVector l = SymmetricVectorKernels.toFloat(SymmetricVectorKernels.nearestClamped(isc.mul(shifted[i]), 0, nmax));
                l.intoArray(s.codes, i * LANES + v);
                FloatVector wl = l.mul(w[i]);
                sumL = sumL.add(wl);
                sumL2 = sumL2.add(wl.mul(l));
                sumXl = sumXl.add(wl.mul(x[xo + i]));
            }
            FloatVector d = sumL2.mul(sumW).sub(sumL.mul(sumL));
            FloatVector scale = sumXl.mul(sumW).sub(sumL.mul(sumX)).div(d);
            FloatVector mn = sumL2.mul(sumX).sub(sumL.mul(sumXl)).div(d);
            VectorMask<Float> positive = mn.compare(VectorOperators.GT, 0f);
            scale = scale.blend(sumXl.div(sumL2), positive);
            mn = mn.blend(0f, positive);
            FloatVector err = FloatVector.zero(F);
            for (int i = 0; i < n; i++) {
                FloatVector diff = scale.mul(FloatVector.fromArray(F, s.codes, i * LANES + v)).add(mn).sub(x[xo + i]);
                diff = useMad ? diff.abs() : diff.mul(diff);
                err = err.add(diff.mul(w[i]));
            }
            d.intoArray(s.d, v);
            scale.intoArray(s.scale, v);
            mn.intoArray(s.min, v);
            err.intoArray(s.err, v);
        }
    }
}
