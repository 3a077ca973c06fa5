package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.putHalf;

import io.lora4j.core.ggml.GgmlType;

/**
 * The 32-element types (REFERENCE.md B.5). Codes use the unrounded float inverse scale; the stored scale is fp16.
 * Nibble packing: byte j holds element j (low) and element j+16 (high). C's float→int8 casts truncate toward zero;
 * in Java that is {@code (int) f} followed by {@code (byte)}.
 */
final class LegacyQuantizers {
    /** Whether new quantizers take the Vector API kernels (the other constructors pick the scalar reference). */
    static final boolean SIMD = Simd.ENABLED && LegacyVectorKernels.USABLE;

    private LegacyQuantizers() {}

    /** d = amax/127, q = roundf(x/d): the only legacy type with round-half-away-from-zero. */
    static final class Q8_0 extends BlockQuantizer {
        private final boolean simd;

        Q8_0() { this(SIMD); }

        Q8_0(boolean simd) {
            super(GgmlType.Q8_0);
            this.simd = simd;
        }

        @Override
        void quantizeBlocks(float[] x, int xo, int nBlocks, byte[] out, int oo) {
            if (simd) LegacyVectorKernels.q8_0(x, xo, nBlocks, out, oo);
            else for (int b = 0; b < nBlocks; b++, xo += 32, oo += 34) block(x, xo, out, oo);
        }

        static void block(float[] x, int xo, byte[] out, int oo) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                float a = Math.abs(x[xo + j]);
                amax = amax > a ? amax : a; // C's MAX macro
            }
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putHalf(out, oo, d);
            for (int j = 0; j < 32; j++) out[oo + 2 + j] = (byte) roundToInt(x[xo + j] * id);
        }

        /**
         * roundf, half away from zero, for |v| < 2^22: t = trunc(v) and the fraction v − t are exact, and
         * (int) (2·frac) is −1, 0 or 1 exactly when roundf moves away from t. Branch-free: the codes of random
         * data would defeat a branch predictor.
         */
        private static int roundToInt(float v) {
            int t = (int) v;
            return t + (int) (2 * (v - t));
        }
    }

    /** d = max/−8 where max is the signed element of largest magnitude; q = min(15, (int8)(x·id + 8.5)). */
    static final class Q4_0 extends BlockQuantizer {
        private final boolean simd;

        Q4_0() { this(SIMD); }

        Q4_0(boolean simd) {
            super(GgmlType.Q4_0);
            this.simd = simd;
        }

        @Override
        void quantizeBlocks(float[] x, int xo, int nBlocks, byte[] out, int oo) {
            if (simd) LegacyVectorKernels.q4_0(x, xo, nBlocks, out, oo);
            else for (int b = 0; b < nBlocks; b++, xo += 32, oo += 18) block(x, xo, out, oo);
        }

        static void block(float[] x, int xo, byte[] out, int oo) {
            float d = QuantMath.signedMaxAbs(x, xo, 32) / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putHalf(out, oo, d);
            for (int j = 0; j < 16; j++) {
                int x0 = Math.min(15, (byte) (int) (x[xo + j] * id + 8.5f));
                int x1 = Math.min(15, (byte) (int) (x[xo + 16 + j] * id + 8.5f));
                out[oo + 2 + j] = (byte) (x0 | (x1 << 4));
            }
        }
    }

    /** d = (max−min)/15, stored min m; q = min(15, (int8)((x−min)·id + 0.5)). */
    static final class Q4_1 extends BlockQuantizer {
        private final boolean simd;

        Q4_1() { this(SIMD); }

        Q4_1(boolean simd) {
            super(GgmlType.Q4_1);
            this.simd = simd;
        }

        @Override
        void quantizeBlocks(float[] x, int xo, int nBlocks, byte[] out, int oo) {
            if (simd) LegacyVectorKernels.q4_1(x, xo, nBlocks, out, oo);
            else for (int b = 0; b < nBlocks; b++, xo += 32, oo += 20) block(x, xo, out, oo);
        }

        static void block(float[] x, int xo, byte[] out, int oo) {
            float min = minOf(x, xo), max = maxOf(x, xo);
            float d = (max - min) / 15;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putHalf(out, oo, d);
            putHalf(out, oo + 2, min);
            for (int j = 0; j < 16; j++) {
                int x0 = Math.min(15, (byte) (int) ((x[xo + j] - min) * id + 0.5f));
                int x1 = Math.min(15, (byte) (int) ((x[xo + 16 + j] - min) * id + 0.5f));
                out[oo + 4 + j] = (byte) (x0 | (x1 << 4));
            }
        }
    }

    /** Q4_0 with 5 bits: d = max/−16, q = min(31, (int8)(x·id + 16.5)); bit 4 of element j is bit j of qh. */
    static final class Q5_0 extends BlockQuantizer {
        private final boolean simd;

        Q5_0() { this(SIMD); }

        Q5_0(boolean simd) {
            super(GgmlType.Q5_0);
            this.simd = simd;
        }

        @Override
        void quantizeBlocks(float[] x, int xo, int nBlocks, byte[] out, int oo) {
            if (simd) LegacyVectorKernels.q5_0(x, xo, nBlocks, out, oo);
            else for (int b = 0; b < nBlocks; b++, xo += 32, oo += 22) block(x, xo, out, oo);
        }

        static void block(float[] x, int xo, byte[] out, int oo) {
            float d = QuantMath.signedMaxAbs(x, xo, 32) / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putHalf(out, oo, d);
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int x0 = Math.min(31, (byte) (int) (x[xo + j] * id + 16.5f));
                int x1 = Math.min(31, (byte) (int) (x[xo + 16 + j] * id + 16.5f));
                out[oo + 6 + j] = (byte) ((x0 & 0x0F) | ((x1 & 0x0F) << 4));
                qh |= ((x0 >> 4) & 1) << j | ((x1 >> 4) & 1) << (j + 16);
            }
            putInt(out, oo + 2, qh);
        }
    }

    /** Q4_1 with 5 bits: d = (max−min)/31, q = (uint8)((x−min)·id + 0.5) (no clamp, as in ggml). */
    static final class Q5_1 extends BlockQuantizer {
        private final boolean simd;

        Q5_1() { this(SIMD); }

        Q5_1(boolean simd) {
            super(GgmlType.Q5_1);
            this.simd = simd;
        }

        @Override
        void quantizeBlocks(float[] x, int xo, int nBlocks, byte[] out, int oo) {
            if (simd) LegacyVectorKernels.q5_1(x, xo, nBlocks, out, oo);
            else for (int b = 0; b < nBlocks; b++, xo += 32, oo += 24) block(x, xo, out, oo);
        }

        static void block(float[] x, int xo, byte[] out, int oo) {
            float min = minOf(x, xo), max = maxOf(x, xo);
            float d = (max - min) / 31;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putHalf(out, oo, d);
            putHalf(out, oo + 2, min);
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int x0 = (int) ((x[xo + j] - min) * id + 0.5f) & 0xFF;
                int x1 = (int) ((x[xo + 16 + j] - min) * id + 0.5f) & 0xFF;
                out[oo + 8 + j] = (byte) ((x0 & 0x0F) | ((x1 & 0x0F) << 4));
                qh |= ((x0 >> 4) & 1) << j | ((x1 >> 4) & 1) << (j + 16);
            }
            putInt(out, oo + 4, qh);
        }
    }

    /** C's {@code if (v < min) min = v} from FLT_MAX (not Math.min: they differ on −0.0 and NaN). */
    private static float minOf(float[] x, int xo) {
        float min = Float.MAX_VALUE;
        for (int j = xo; j < xo + 32; j++) if (x[j] < min) min = x[j];
        return min;
    }

    private static float maxOf(float[] x, int xo) {
        float max = -Float.MAX_VALUE;
        for (int j = xo; j < xo + 32; j++) if (x[j] > max) max = x[j];
        return max;
    }

    private static void putInt(byte[] out, int at, int v) {
        out[at] = (byte) v;
        out[at + 1] = (byte) (v >>> 8);
        out[at + 2] = (byte) (v >>> 16);
        out[at + 3] = (byte) (v >>> 24);
    }
}
