package io.lora4j.export.quant;

import io.lora4j.core.ggml.Float16;
import io.lora4j.core.ggml.GgmlType;

/** The unquantized storage types: F32 as is, F16 and BF16 with ggml's rounding (core's {@link Float16}). */
final class FloatQuantizers {
    /** Whether new F16/BF16 quantizers take the Vector API kernels. */
    static final boolean SIMD = Simd.ENABLED && FloatVectorKernels.USABLE;

    private FloatQuantizers() {}

    static final class F32 extends BlockQuantizer {
        F32() { super(GgmlType.F32); }

        @Override
        void quantizeBlocks(float[] x, int xo, int n, byte[] out, int oo) {
            for (int i = 0; i < n; i++, oo += 4) {
                int bits = Float.floatToRawIntBits(x[xo + i]);
                out[oo] = (byte) bits;
                out[oo + 1] = (byte) (bits >>> 8);
                out[oo + 2] = (byte) (bits >>> 16);
                out[oo + 3] = (byte) (bits >>> 24);
            }
        }
    }

    static final class F16 extends BlockQuantizer {
        private final boolean simd;

        F16() { this(SIMD); }

        /** With {@code simd} false, the scalar reference. */
        F16(boolean simd) {
            super(GgmlType.F16);
            this.simd = simd;
        }

        @Override
        void quantizeBlocks(float[] x, int xo, int n, byte[] out, int oo) {
            if (simd) {
                int done = FloatVectorKernels.f16(x, xo, n, out, oo);
                xo += done;
                oo += 2 * done;
                n -= done;
            }
            for (int i = 0; i < n; i++, oo += 2) {
                short h = Float16.floatToHalf(x[xo + i]);
                out[oo] = (byte) h;
                out[oo + 1] = (byte) (h >> 8);
            }
        }
    }

    static final class BF16 extends BlockQuantizer {
        private final boolean simd;

        BF16() { this(SIMD); }

        /** With {@code simd} false, the scalar reference. */
        BF16(boolean simd) {
            super(GgmlType.BF16);
            this.simd = simd;
        }

        @Override
        void quantizeBlocks(float[] x, int xo, int n, byte[] out, int oo) {
            if (simd) {
                int done = FloatVectorKernels.bf16(x, xo, n, out, oo);
                xo += done;
                oo += 2 * done;
                n -= done;
            }
            for (int i = 0; i < n; i++, oo += 2) {
                short h = Float16.floatToBf16(x[xo + i]);
                out[oo] = (byte) h;
                out[oo + 1] = (byte) (h >> 8);
            }
        }
    }
}
