package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.putHalf;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the 32-element types' block loops. Only lane-wise float operations (each lane the same
 * single rounding as the scalar code), min/max reductions (exact in any order; blocks where C's scan could pick
 * differently, with NaN, infinities, signed zeros or ties, go to the scalar code) and integer work are vectorised,
 * so the bytes equal the scalar quantizers'. Loaded only when {@link Simd#ENABLED}; {@link #USABLE} says whether the machine's preferred
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
     * The largest |x| of x[xo..xo+32) as the signed element (C's strict {@code >} keeps the first of equal
     * magnitudes), or NaN where the block holds a NaN or an infinity, or where the largest and the most negative
     * element have the same magnitude (then only a scan knows which came first): the caller takes the scalar path.
     */
    private static float signedMaxAbs32(float[] x, int xo) {
        IntVector lo = ordered(x, xo), hi = lo;
        for (int j = VL; j < 32; j += VL) {
            IntVector v = ordered(x, xo + j);
            lo = lo.min(v);
            hi = hi.max(v);
        }
        float max = unordered(hi.reduceLanes(VectorOperators.MAX)), negMin = -unordered(lo.reduceLanes(VectorOperators.MIN));
        if (max > negMin) return max <= Float.MAX_VALUE ? max : Float.NaN;
        if (negMin > max) return -negMin >= -Float.MAX_VALUE ? -negMin : Float.NaN;
        return max == 0 ? 0f : Float.NaN; // all zeros: C keeps its initial max = 0 (never a −0.0 element)
    }

    /**
     * x[xo..xo+VL) as ints in the order of the floats (−0.0 just below +0.0, NaNs beyond the infinities): integer
     * min and max are single instructions, where float ones with Java's NaN and signed-zero rules are not.
     */
    private static IntVector ordered(float[] x, int xo) {
        IntVector b = FloatVector.fromArray(F, x, xo).reinterpretAsInts();
        return b.lanewise(VectorOperators.XOR, b.lanewise(VectorOperators.ASHR, 31).and(0x7FFFFFFF));
    }

    /** The float whose {@link #ordered} int is i. */
    private static float unordered(int i) {
        return Float.intBitsToFloat(i ^ ((i >> 31) & 0x7FFFFFFF));
    }

    /** Q4_0 blocks; a block whose codes could leave the range of {@link #floorSmall} goes to the scalar code. */
    static void q4_0(float[] x, int xo, int nBlocks, byte[] out, int oo) {
        for (int b = 0; b < nBlocks; b++, xo += 32, oo += 18) {
            float max = signedMaxAbs32(x, xo);
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            if (!(Math.abs(id) <= Float.MAX_VALUE)) { // see signedMaxAbs32, or 1/d overflowed
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

    /** Q5_0 blocks: Q4_0 with d = max/−16, codes up to 31, bit 4 of element j in bit j of qh. */
    static void q5_0(float[] x, int xo, int nBlocks, byte[] out, int oo) {
        for (int b = 0; b < nBlocks; b++, xo += 32, oo += 22) {
            float max = signedMaxAbs32(x, xo);
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            if (!(Math.abs(id) <= Float.MAX_VALUE)) {
                LegacyQuantizers.Q5_0.block(x, xo, out, oo);
                continue;
            }
            putHalf(out, oo, d);
            int qh = 0;
            for (int j = 0; j < 16; j += VL) {
                IntVector lo = floorSmall(FloatVector.fromArray(F, x, xo + j).mul(id).add(16.5f)).min(31);
                IntVector hi = floorSmall(FloatVector.fromArray(F, x, xo + 16 + j).mul(id).add(16.5f)).min(31);
                storeBytes(lo.and(0x0F).or(hi.and(0x0F).lanewise(VectorOperators.LSHL, 4)), out, oo + 6 + j);
                qh |= highBits(lo, hi, j);
            }
            putInt(out, oo + 2, qh);
        }
    }

    /** Q4_1 blocks: d = (max−min)/15, codes min(15, (int8)((x−min)·id + 0.5)). */
    static void q4_1(float[] x, int xo, int nBlocks, byte[] out, int oo) {
        for (int b = 0; b < nBlocks; b++, xo += 32, oo += 20) {
            IntVector lov = ordered(x, xo), hiv = lov;
            for (int j = VL; j < 32; j += VL) {
                IntVector v = ordered(x, xo + j);
                lov = lov.min(v);
                hiv = hiv.max(v);
            }
            float min = unordered(lov.reduceLanes(VectorOperators.MIN)), max = unordered(hiv.reduceLanes(VectorOperators.MAX));
            float d = (max - min) / 15;
            float id = d != 0 ? 1.0f / d : 0.0f;
            if (!regularRange(min, max, id)) {
                LegacyQuantizers.Q4_1.block(x, xo, out, oo);
                continue;
            }
            putHalf(out, oo, d);
            putHalf(out, oo + 2, min);
            for (int j = 0; j < 16; j += VL) {
                IntVector lo = floorSmall(FloatVector.fromArray(F, x, xo + j).sub(min).mul(id).add(0.5f)).min(15);
                IntVector hi = floorSmall(FloatVector.fromArray(F, x, xo + 16 + j).sub(min).mul(id).add(0.5f)).min(15);
                storeBytes(lo.or(hi.lanewise(VectorOperators.LSHL, 4)), out, oo + 4 + j);
            }
        }
    }

    /** Q5_1 blocks: d = (max−min)/31, codes (uint8)((x−min)·id + 0.5), bit 4 of element j in bit j of qh. */
    static void q5_1(float[] x, int xo, int nBlocks, byte[] out, int oo) {
        for (int b = 0; b < nBlocks; b++, xo += 32, oo += 24) {
            IntVector lov = ordered(x, xo), hiv = lov;
            for (int j = VL; j < 32; j += VL) {
                IntVector v = ordered(x, xo + j);
                lov = lov.min(v);
                hiv = hiv.max(v);
            }
            float min = unordered(lov.reduceLanes(VectorOperators.MIN)), max = unordered(hiv.reduceLanes(VectorOperators.MAX));
            float d = (max - min) / 31;
            float id = d != 0 ? 1.0f / d : 0.0f;
            if (!regularRange(min, max, id)) {
                LegacyQuantizers.Q5_1.block(x, xo, out, oo);
                continue;
            }
            putHalf(out, oo, d);
            putHalf(out, oo + 2, min);
            int qh = 0;
            for (int j = 0; j < 16; j += VL) {
                IntVector lo = floorSmall(FloatVector.fromArray(F, x, xo + j).sub(min).mul(id).add(0.5f)).and(0xFF);
                IntVector hi = floorSmall(FloatVector.fromArray(F, x, xo + 16 + j).sub(min).mul(id).add(0.5f)).and(0xFF);
                storeBytes(lo.and(0x0F).or(hi.and(0x0F).lanewise(VectorOperators.LSHL, 4)), out, oo + 8 + j);
                qh |= highBits(lo, hi, j);
            }
            putInt(out, oo + 4, qh);
        }
    }

    /** Q8_0 blocks: d = amax/127, codes roundf(x·id) (half away from zero). */
    static void q8_0(float[] x, int xo, int nBlocks, byte[] out, int oo) {
        for (int b = 0; b < nBlocks; b++, xo += 32, oo += 34) {
            // |x| bits order as the magnitudes (a NaN above infinity, caught below)
            IntVector m = FloatVector.fromArray(F, x, xo).reinterpretAsInts().and(0x7FFFFFFF);
            for (int j = VL; j < 32; j += VL) m = m.max(FloatVector.fromArray(F, x, xo + j).reinterpretAsInts().and(0x7FFFFFFF));
            float amax = Float.intBitsToFloat(m.reduceLanes(VectorOperators.MAX));
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            if (!(amax <= Float.MAX_VALUE && id <= Float.MAX_VALUE)) { // NaN/inf in the block, or 1/d overflowed
                LegacyQuantizers.Q8_0.block(x, xo, out, oo);
                continue;
            }
            putHalf(out, oo, d);
            for (int j = 0; j < 32; j += VL) {
                FloatVector v = FloatVector.fromArray(F, x, xo + j).mul(id);
                FloatVector a = v.abs(), r = a.add(12582912f), rf = r.sub(12582912f);
                VectorMask<Float> up = rf.compare(VectorOperators.GT, a); // nearest went above: floor is one less
                FloatVector frac = a.sub(rf.sub(1f, up));                 // |v| − floor(|v|), exact
                IntVector q = r.reinterpretAsInts().and(0x007FFFFF).sub(0x00400000).sub(1, up.cast(I))
                        .add(1, frac.compare(VectorOperators.GE, 0.5f).cast(I));
                storeBytes(q.lanewise(VectorOperators.NEG, v.compare(VectorOperators.LT, 0f).cast(I)), out, oo + 2 + j);
            }
        }
    }

    /**
     * Whether the vector min and max equal C's {@code if (v < min)} scans (they differ only for NaN, for
     * infinities, and for a zero extreme, where C keeps the first of 0.0 and −0.0) and the codes stay small.
     */
    private static boolean regularRange(float min, float max, float id) {
        return min != 0 && max != 0 && max - min <= Float.MAX_VALUE && Math.abs(id) <= Float.MAX_VALUE;
    }

    private static final int[] IOTA32 = new int[32];

    static {
        for (int i = 0; i < 32; i++) IOTA32[i] = i;
    }

    /** Bit 4 of lane k of lo to bit j + k, of hi to bit 16 + j + k, all OR-ed together. */
    private static int highBits(IntVector lo, IntVector hi, int j) {
        IntVector a = lo.lanewise(VectorOperators.LSHR, 4).and(1).lanewise(VectorOperators.LSHL, IntVector.fromArray(I, IOTA32, j));
        IntVector b = hi.lanewise(VectorOperators.LSHR, 4).and(1).lanewise(VectorOperators.LSHL, IntVector.fromArray(I, IOTA32, 16 + j));
        return a.or(b).reduceLanes(VectorOperators.OR);
    }

    private static void putInt(byte[] out, int at, int v) {
        out[at] = (byte) v;
        out[at + 1] = (byte) (v >>> 8);
        out[at + 2] = (byte) (v >>> 16);
        out[at + 3] = (byte) (v >>> 24);
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
