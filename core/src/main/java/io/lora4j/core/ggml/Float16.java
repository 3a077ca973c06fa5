package io.lora4j.core.ggml;

/** IEEE half and bfloat16 conversions with ggml's rounding (REFERENCE.md B.3). */
public final class Float16 {
    private Float16() {}

    /** fp16 bits to float: exact. */
    public static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits >>> 15) << 31;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) { // inf / NaN
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            // subnormal: value = mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** float to fp16 bits, round-to-nearest-even; NaN becomes 0x7E00 with the sign, as ggml writes it. */
    public static short floatToHalf(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int abs = x & 0x7FFFFFFF;
        if (abs > 0x7F800000) return (short) (sign | 0x7E00);
        if (abs >= 0x477FF000) { // rounds to >= 65520 → inf
            return (short) (sign | 0x7C00);
        }
        if (abs < 0x38800000) { // below the smallest normal half (2^-14): subnormal or zero
            // Scale into the subnormal range; float addition rounds to nearest even exactly once.
            float a = Float.intBitsToFloat(abs) + 0.5f; // 0.5 = 2^-1 puts 2^-24 at bit 0 of the mantissa
            return (short) (sign | (Float.floatToRawIntBits(a) - Float.floatToRawIntBits(0.5f)));
        }
        int mantOdd = (abs >>> 13) & 1;
        abs += 0xC8000FFF + mantOdd; // rebias exponent (-112 << 23) and round to nearest even
        return (short) (sign | (abs >>> 13));
    }

    /** bfloat16 bits to float: exact. */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** float to bfloat16 bits exactly as ggml_compute_fp32_to_bf16: quiet NaN, otherwise round-to-nearest-even. */
    public static short floatToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7FFF + ((u >>> 16) & 1))) >>> 16);
    }
}
