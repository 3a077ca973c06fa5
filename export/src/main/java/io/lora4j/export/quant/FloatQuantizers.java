package io.lora4j.export.quant;

import io.lora4j.core.ggml.Float16;
import io.lora4j.core.ggml.GgmlType;

/** The unquantized storage types: F32 as is, F16 and BF16 with ggml's rounding (core's {@link Float16}). */
final class FloatQuantizers {
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
        F16() { super(GgmlType.F16); }

        @Override
        void quantizeBlocks(float[] x, int xo, int n, byte[] out, int oo) {
            for (int i = 0; i < n; i++, oo += 2) {
                short h = Float16.floatToHalf(x[xo + i]);
                out[oo] = (byte) h;
                out[oo + 1] = (byte) (h >> 8);
            }
        }
    }

    static final class BF16 extends BlockQuantizer {
        BF16() { super(GgmlType.BF16); }

        @Override
        void quantizeBlocks(float[] x, int xo, int n, byte[] out, int oo) {
            for (int i = 0; i < n; i++, oo += 2) {
                short h = Float16.floatToBf16(x[xo + i]);
                out[oo] = (byte) h;
                out[oo + 1] = (byte) (h >> 8);
            }
        }
    }
}
