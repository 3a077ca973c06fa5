package io.lora4j.export.quant;

import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API F16 and BF16 rows: core's {@link io.lora4j.core.ggml.Float16} conversions with every case computed
 * lane-wise and the right one selected, so the bits are the same. Each call converts the whole vectors of a row;
 * the caller converts the tail. Loaded only when {@link Simd#ENABLED}.
 */
final class FloatVectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final int VL = F.length();
    static final boolean USABLE = (VL == 8 || VL == 16) && I.length() == VL;
    private static final VectorSpecies<Short> S = USABLE ? VectorSpecies.of(short.class, VectorShape.forBitSize(16 * VL)) : ShortVector.SPECIES_128;

    private FloatVectorKernels() {}

    /** Converts x[xo..xo+n) rounded down to whole vectors; returns how many values it converted. */
    static int f16(float[] x, int xo, int n, byte[] out, int oo) {
        int done = n - n % VL;
        for (int i = 0; i < done; i += VL) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            IntVector bits = v.reinterpretAsInts();
            IntVector sign = bits.lanewise(VectorOperators.LSHR, 16).and(0x8000);
            IntVector abs = bits.and(0x7FFFFFFF);
            // normal: rebias the exponent and round to nearest even
            IntVector h = abs.add(0xC8000FFF).add(abs.lanewise(VectorOperators.LSHR, 13).and(1)).lanewise(VectorOperators.LSHR, 13);
            // below the smallest normal half: one float addition rounds into the subnormal range
            IntVector sub = abs.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(Float.floatToRawIntBits(0.5f));
            h = h.blend(sub, abs.compare(VectorOperators.LT, 0x38800000));
            h = h.blend(0x7C00, abs.compare(VectorOperators.GE, 0x477FF000));
            h = h.blend(0x7E00, abs.compare(VectorOperators.GT, 0x7F800000));
            store(h.or(sign), out, oo + 2 * i);
        }
        return done;
    }

    /** As {@link #f16}, for bfloat16: quiet NaN, otherwise round to nearest even. */
    static int bf16(float[] x, int xo, int n, byte[] out, int oo) {
        int done = n - n % VL;
        for (int i = 0; i < done; i += VL) {
            IntVector u = FloatVector.fromArray(F, x, xo + i).reinterpretAsInts();
            IntVector hi = u.lanewise(VectorOperators.LSHR, 16);
            IntVector r = u.add(0x7FFF).add(hi.and(1)).lanewise(VectorOperators.LSHR, 16);
            VectorMask<Integer> nan = u.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000);
            store(r.blend(hi.or(64), nan), out, oo + 2 * i);
        }
        return done;
    }

    /** The low 16 bits of each lane, little-endian, to out[at..at+2·VL). */
    private static void store(IntVector v, byte[] out, int at) {
        ((ShortVector) v.convertShape(VectorOperators.I2S, S, 0)).intoByteArray(out, at, ByteOrder.LITTLE_ENDIAN);
    }
}
