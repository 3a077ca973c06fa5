package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.clamp;
import static io.lora4j.export.quant.QuantMath.getHalf;
import static io.lora4j.export.quant.QuantMath.nearestInt;
import static io.lora4j.export.quant.QuantMath.putHalf;

import io.lora4j.core.ggml.GgmlType;

/**
 * Q2_K (REFERENCE.md B.10): 16 sub-blocks of 16, each fit with scale and min by make_qkx2_quants (weights |x|,
 * absolute error), both quantized to 4 bits (low and high nibble of scales[j]) against fp16 d and dmin.
 * Layout: scales[16] qs[64] d dmin.
 */
final class Q2KQuantizer extends BlockQuantizer {
    private final boolean simd;
    private final MinScaleSearch search;
    private final int[] L = new int[256], sc = new int[16];
    private final float[] scales = new float[16], mins = new float[16], weights = new float[16];

    Q2KQuantizer() {
        this(MinScaleSearch.SIMD);
    }

    /** With {@code simd} false, the scalar reference throughout. */
    Q2KQuantizer(boolean simd) {
        super(GgmlType.Q2_K);
        this.simd = simd && SymmetricSearch.SIMD && SymmetricVectorKernels.VL <= 16;
        search = new MinScaleSearch(16, simd);
    }

    @Override
    void quantizeBlocks(float[] x, int xo, int nBlocks, byte[] out, int oo) {
        for (int b = 0; b < nBlocks; b++, xo += 256, oo += 84) block(x, xo, out, oo);
    }

    private void block(float[] x, int xo, byte[] out, int oo) {
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) weights[l] = Math.abs(x[xo + 16 * j + l]);
            scales[j] = search.search(16, 3, x, xo + 16 * j, weights, L, 16 * j, -0.5f, 0.1f, 15, true);
            mins[j] = search.theMin;
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        // scales[j] is a uint8 in ggml: each store keeps the low 8 bits
        if (maxScale > 0) {
            float iscale = 15f / maxScale;
            for (int j = 0; j < 16; j++) sc[j] = nearestInt(iscale * scales[j]) & 0xFF;
            putHalf(out, oo + 80, maxScale / 15f);
        } else {
            for (int j = 0; j < 16; j++) sc[j] = 0;
            putHalf(out, oo + 80, 0f);
        }
        if (maxMin > 0) {
            float iscale = 15f / maxMin;
            for (int j = 0; j < 16; j++) sc[j] = (sc[j] | (nearestInt(iscale * mins[j]) << 4)) & 0xFF;
            putHalf(out, oo + 82, maxMin / 15f);
        } else {
            putHalf(out, oo + 82, 0f);
        }
        for (int j = 0; j < 16; j++) out[oo + j] = (byte) sc[j];
        float d0 = getHalf(out, oo + 80), dmin0 = getHalf(out, oo + 82);
        for (int j = 0; j < 16; j++) {
            float d = d0 * (sc[j] & 0xF);
            if (d == 0) continue;
            float dm = dmin0 * (sc[j] >> 4);
            if (simd) SymmetricVectorKernels.requantizeShifted(x, xo + 16 * j, dm, d, 16, 0, 3, L, 16 * j);
            else for (int ii = 0; ii < 16; ii++) L[16 * j + ii] = clamp(nearestInt((x[xo + 16 * j + ii] + dm) / d), 0, 3);
        }
        pack2Bit(L, out, oo + 16);
    }

    /** For each 128-element chunk c: qs[32c + l] = L[128c+l] | L[128c+l+32]<<2 | L[128c+l+64]<<4 | L[128c+l+96]<<6. */
    static void pack2Bit(int[] L, byte[] out, int qs) {
        for (int j = 0; j < 256; j += 128) {
            for (int l = 0; l < 32; l++) {
                out[qs + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
            }
        }
    }
}
