package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.clamp;
import static io.lora4j.export.quant.QuantMath.getHalf;
import static io.lora4j.export.quant.QuantMath.nearestInt;
import static io.lora4j.export.quant.QuantMath.putHalf;

import io.lora4j.core.ggml.GgmlType;
import java.util.Arrays;

/**
 * Q6_K (REFERENCE.md B.9): 16 symmetric sub-blocks of 16 with int8 scales against one fp16 d. Block layout:
 * ql[128] qh[64] scales[16] d. Codes are re-derived from the rounded scales; a sub-block whose scale rounds to 0
 * keeps the codes of its search.
 */
final class Q6KQuantizer extends BlockQuantizer {
    private final boolean simd;
    private final SymmetricSearch search;
    private final int[] L = new int[256];
    private final float[] scales = new float[16];

    Q6KQuantizer() {
        this(SymmetricSearch.SIMD);
    }

    /** With {@code simd} false, the scalar reference throughout. */
    Q6KQuantizer(boolean simd) {
        super(GgmlType.Q6_K);
        this.simd = simd && SymmetricVectorKernels.VL <= 16;
        search = new SymmetricSearch(16, simd);
    }

    @Override
    void quantizeBlocks(float[] x, int xo, int nBlocks, byte[] out, int oo) {
        for (int b = 0; b < nBlocks; b++, xo += 256, oo += 210) block(x, xo, out, oo);
    }

    private void block(float[] x, int xo, byte[] out, int oo) {
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = search.qx(16, 32, x, xo + 16 * ib, L, 16 * ib);
            scales[ib] = scale;
            float abs = Math.abs(scale);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scale;
            }
        }
        if (maxAbsScale < QuantMath.GROUP_MAX_EPS) {
            Arrays.fill(out, oo, oo + 210, (byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        putHalf(out, oo + 208, 1 / iscale);
        for (int ib = 0; ib < 16; ib++) out[oo + 192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        float d0 = getHalf(out, oo + 208);
        for (int j = 0; j < 16; j++) {
            float d = d0 * out[oo + 192 + j];
            if (d == 0) continue;
            if (simd) SymmetricVectorKernels.requantize(x, xo + 16 * j, d, 16, -32, 31, 32, L, 16 * j);
            else for (int ii = 0; ii < 16; ii++) L[16 * j + ii] = clamp(nearestInt(x[xo + 16 * j + ii] / d), -32, 31) + 32;
        }
        for (int h = 0; h < 2; h++) {
            int j = 128 * h, ql = oo + 64 * h, qh = oo + 128 + 32 * h;
            for (int l = 0; l < 32; l++) {
                int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
                out[ql + l] = (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4));
                out[ql + l + 32] = (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4));
                out[qh + l] = (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
    }
}
