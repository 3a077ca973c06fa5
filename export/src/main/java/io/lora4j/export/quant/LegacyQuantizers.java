package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.putHalf;
import static io.lora4j.export.quant.QuantMath.roundf;

/**
 * The 32-element types (REFERENCE.md B.5). Codes use the unrounded float inverse scale; the stored scale is fp16.
 * Nibble packing: byte j holds element j (low) and element j+16 (high).
 */
final class LegacyQuantizers {
    private LegacyQuantizers() {}

    static void q8_0(float[] x, int xo, byte[] out, int oo) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + j]));
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, oo, d);
        for (int j = 0; j < 32; j++) out[oo + 2 + j] = (byte) (int) roundf(x[xo + j] * id);
    }

    static void q4_0(float[] x, int xo, byte[] out, int oo) {
        float d = QuantMath.signedMaxAbs(x, xo, 32) / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, oo, d);
        for (int j = 0; j < 16; j++) {
            int x0 = Math.min(15, (int) (byte) (int) (x[xo + j] * id + 8.5f));
            int x1 = Math.min(15, (int) (byte) (int) (x[xo + 16 + j] * id + 8.5f));
            out[oo + 2 + j] = (byte) (x0 | (x1 << 4));
        }
    }

    static void q4_1(float[] x, int xo, byte[] out, int oo) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) { // C comparisons, not Math.min/max: they differ on -0.0
            if (x[xo + j] < min) min = x[xo + j];
            if (x[xo + j] > max) max = x[xo + j];
        }
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, oo, d);
        putHalf(out, oo + 2, min);
        for (int j = 0; j < 16; j++) {
            int x0 = Math.min(15, (int) (byte) (int) ((x[xo + j] - min) * id + 0.5f));
            int x1 = Math.min(15, (int) (byte) (int) ((x[xo + 16 + j] - min) * id + 0.5f));
            out[oo + 4 + j] = (byte) (x0 | (x1 << 4));
        }
    }

    static void q5_0(float[] x, int xo, byte[] out, int oo) {
        float d = QuantMath.signedMaxAbs(x, xo, 32) / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, oo, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int x0 = Math.min(31, (int) (byte) (int) (x[xo + j] * id + 16.5f));
            int x1 = Math.min(31, (int) (byte) (int) (x[xo + 16 + j] * id + 16.5f));
            out[oo + 6 + j] = (byte) ((x0 & 0x0F) | ((x1 & 0x0F) << 4));
            qh |= ((x0 & 0x10) >>> 4) << j;
            qh |= ((x1 & 0x10) >>> 4) << (j + 16);
        }
        for (int i = 0; i < 4; i++) out[oo + 2 + i] = (byte) (qh >>> (8 * i));
    }

    static void q5_1(float[] x, int xo, byte[] out, int oo) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) { // C comparisons, not Math.min/max: they differ on -0.0
            if (x[xo + j] < min) min = x[xo + j];
            if (x[xo + j] > max) max = x[xo + j];
        }
        float d = (max - min) / 31;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, oo, d);
        putHalf(out, oo + 2, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int x0 = ((int) ((x[xo + j] - min) * id + 0.5f)) & 0xFF;
            int x1 = ((int) ((x[xo + 16 + j] - min) * id + 0.5f)) & 0xFF;
            out[oo + 8 + j] = (byte) ((x0 & 0x0F) | ((x1 & 0x0F) << 4));
            qh |= ((x0 & 0x10) >>> 4) << j;
            qh |= ((x1 & 0x10) >>> 4) << (j + 16);
        }
        for (int i = 0; i < 4; i++) out[oo + 4 + i] = (byte) (qh >>> (8 * i));
    }
}
