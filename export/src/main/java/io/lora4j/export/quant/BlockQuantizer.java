package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;

/** Quantizes one block of {@link GgmlType#blockSize} floats into {@link GgmlType#typeSize} bytes, as ggml's _ref code. */
interface BlockQuantizer {
    void quantize(float[] x, int xo, byte[] out, int oo);

    /** A fresh quantizer for one thread (quantizers keep scratch arrays). */
    static BlockQuantizer forType(GgmlType t) {
        return switch (t) {
            case Q8_0 -> LegacyQuantizers::q8_0;
            case Q4_0 -> LegacyQuantizers::q4_0;
            case Q4_1 -> LegacyQuantizers::q4_1;
            case Q5_0 -> LegacyQuantizers::q5_0;
            case Q5_1 -> LegacyQuantizers::q5_1;
            case Q2_K -> new KQuantizers.Q2K();
            case Q3_K -> new KQuantizers.Q3K();
            case Q4_K -> new KQuantizers.Q4K();
            case Q5_K -> new KQuantizers.Q5K();
            case Q6_K -> new KQuantizers.Q6K();
            case F16 -> (x, xo, out, oo) -> QuantMath.putHalf(out, oo, x[xo]);
            case BF16 -> (x, xo, out, oo) -> {
                short b = io.lora4j.core.ggml.Float16.floatToBf16(x[xo]);
                out[oo] = (byte) b;
                out[oo + 1] = (byte) (b >> 8);
            };
            case F32 -> (x, xo, out, oo) -> {
                int bits = Float.floatToRawIntBits(x[xo]);
                for (int i = 0; i < 4; i++) out[oo + i] = (byte) (bits >>> (8 * i));
            };
            default -> throw new IllegalArgumentException("lora4j cannot quantize to " + t);
        };
    }
}
