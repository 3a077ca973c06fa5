package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.putHalf;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the 32-element types' block loops. Only lane-wise float operations (each lane the same
 * single rounding as the scalar code) and max reductions (exact in any order) are vectorised, so the bytes equal the
 * scalar quantizers'. Loaded only when {@link Simd#ENABLED}; {@link #USABLE} says whether the machine's preferred
 * vector is one these loops handle (8 or 16 float lanes).
 */
final class LegacyVectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int VL = F.length();
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final boolean USABLE = (VL == 8 || VL == 16) && I.length() == VL;
    /** Bytes, one lane per float lane (64 or 128 bits). */
    private static final VectorSpecies<Byte> B = USABLE ? VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * VL)) : ByteVector.SPECIES_64;

    private LegacyVectorKernels() {}

    /**
     * The largest |x| of x[xo..xo+32) as the signed element (the first one wins ties, as C's strict {@code >}), or
     * NaN when the block holds a NaN or an infinity (the caller then takes the scalar path).
     */
    private static float signedMaxAbs32(float[] x, int xo) {
        FloatVector m = FloatVector.fromArray(F, x, xo).abs();
        for (int j = VL; j < 32; j += VL) m = m.max(FloatVector.fromArray(F, x, xo + j).abs());
        float amax = m.reduceLanes(VectorOperators.MAX);
        if (amax == 0) return 0f; // C keeps its initial max = 0 (never a −0.0 element)
        if (!(amax <= Float.MAX_VALUE)) return Float.NaN;
        for (int j = xo; j < xo + 32; j++) if (Math.abs(x[j]) == amax) return x[j];
        return Float.NaN;
    }

    /** Q4_0 blocks; a block whose codes could leave the range of {@link #floorSmall} goes to the scalar code. */
    static void q4_0(float[] x, int xo, int nBlocks, byte[] out, int oo) {
        for (int b = 0; b < nBlocks; b++, xo += 32, oo += 18) {
            float max = signedMaxAbs32(x, xo);
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            if (!(Math.abs(id) <= Float.MAX_VALUE)) { // NaN/inf in the block, or 1/d overflowed
                LegacyQuantizers.Q4_0.block(x, xo, out, oo);
                continue;
            }
            putHalf(out, oo, d);
            for (int j = 0; j < 16; j += VL) {
                IntVector lo = floorSmall(FloatVector.fromArray(F, x, xo + j).mul(id).add(8.5f)).min(15);
                IntVector hi = floorSmall(FloatVector.fromArray(F, x, xo + 16 + j).mul(id).add(8.5f)).min(15);
                storeBytes(lo.or(hi.lanewise(VectorOperators.LSHL, 4)), out, oo + 2 + j);
            }
        }
    }

    /**
     * floor(v) as ints for |v| < 2^22 (equal to C's truncating cast for v ≥ 0): ggml's nearest_int bit trick, then
     * one down where rounding went up. The JDK 17 Vector API has no fast float→int conversion; this is all
     * lane-wise float and int operations.
     */
    static IntVector floorSmall(FloatVector v) {
        FloatVector r = v.add(12582912f);
        IntVector n = r.reinterpretAsInts().and(0x007FFFFF).sub(0x00400000);
        return n.sub(1, r.sub(12582912f).compare(VectorOperators.GT, v).cast(I));
    }

    /** The low byte of each lane to out[at..at+VL). */
    static void storeBytes(IntVector v, byte[] out, int at) {
        ((ByteVector) v.convertShape(VectorOperators.I2B, B, 0)).intoArray(out, at);
    }
}
