package io.lora4j.export.quant;

import io.lora4j.core.ggml.Float16;

/**
 * The scalar helpers of ggml-quants.c, ported so that results are bit-identical to x86-64 builds: plain float
 * arithmetic in C's order (Java never fuses multiply-adds), ggml's own {@link #nearestInt}, C's {@link #roundf}.
 */
final class QuantMath {
    static final float GROUP_MAX_EPS = 1e-15f;

    private QuantMath() {}

    /**
     * ggml's nearest_int: adds 1.5·2^23 in float and keeps the low mantissa bits, i.e. round half to even for
     * |f| ≤ 4194303 (the range ggml asserts). The same trick rather than Math.rint, so that it is also exact
     * wherever ggml's assertion is compiled out, and it is cheaper.
     */
    static int nearestInt(float f) {
        return (Float.floatToRawIntBits(f + 12582912f) & 0x007FFFFF) - 0x00400000;
    }

    /** C roundf: half away from zero (Math.round rounds -2.5 to -2, roundf to -3). */
    static float roundf(float x) {
        return (float) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }

    static void putHalf(byte[] out, int at, float v) {
        short h = Float16.floatToHalf(v);
        out[at] = (byte) h;
        out[at + 1] = (byte) (h >> 8);
    }

    static float getHalf(byte[] in, int at) {
        return Float16.halfToFloat((short) ((in[at] & 0xFF) | (in[at + 1] << 8)));
    }

    /** The element of largest magnitude, with its sign; the first one wins ties (C's strict {@code >}). */
    static float signedMaxAbs(float[] x, int xo, int n) {
        float max = 0, amax = 0;
        for (int i = xo, end = xo + n; i < end; i++) {
            float ax = Math.abs(x[i]);
            if (ax > amax) {
                amax = ax;
                max = x[i];
            }
        }
        return max;
    }

    static int clamp(int v, int lo, int hi) {
        return v < lo ? lo : v > hi ? hi : v;
    }
}
