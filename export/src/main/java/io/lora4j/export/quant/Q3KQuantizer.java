package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.clamp;
import static io.lora4j.export.quant.QuantMath.getHalf;
import static io.lora4j.export.quant.QuantMath.nearestInt;
import static io.lora4j.export.quant.QuantMath.putHalf;

import io.lora4j.core.ggml.GgmlType;
import java.util.Arrays;

/**
 * Q3_K (REFERENCE.md B.10): 16 symmetric sub-blocks of 16 (make_q3_quants), signed 6-bit scales against one fp16 d
 * (low nibbles in scales[0..8), top 2 bits in scales[8..12)), 3-bit codes split into a high-bit mask and 2-bit
 * planes. Layout: hmask[32] qs[64] scales[12] d.
 */
final class Q3KQuantizer extends BlockQuantizer {
    private final boolean simd;
    private final SymmetricSearch search;
    private final int[] L = new int[256], packed = new int[12];
    private final float[] scales = new float[16];

    Q3KQuantizer() {
        this(SymmetricSearch.SIMD);
    }

    /** With {@code simd} false, the scalar reference throughout. */
    Q3KQuantizer(boolean simd) {
        super(GgmlType.Q3_K);
        this.simd = simd && LegacyQuantizers.SIMD; // 8 or 16 lanes, as packQ3's byte stores need
        search = new SymmetricSearch(16, simd);
    }

    @Override
    void quantizeBlocks(float[] x, int xo, int nBlocks, byte[] out, int oo) {
        for (int b = 0; b < nBlocks; b++, xo += 256, oo += 110) block(x, xo, out, oo);
    }

    private void block(float[] x, int xo, byte[] out, int oo) {
        float maxScale = 0, amax = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = search.q3(16, 4, x, xo + 16 * j, L, 16 * j);
            float s = Math.abs(scales[j]);
            if (s > amax) {
                amax = s;
                maxScale = scales[j];
            }
        }
        Arrays.fill(packed, 0);
        if (maxScale != 0) {
            float iscale = -32f / maxScale;
            for (int j = 0; j < 16; j++) {
                int l = clamp((byte) nearestInt(iscale * scales[j]), -32, 31) + 32; // int8_t l in ggml
                if (j < 8) packed[j] = l & 0xF;
                else packed[j - 8] |= (l & 0xF) << 4;
                packed[8 + j % 4] |= (l >> 4) << (2 * (j / 4));
            }
            putHalf(out, oo + 108, 1 / iscale);
        } else {
            putHalf(out, oo + 108, 0f);
        }
        for (int i = 0; i < 12; i++) out[oo + 96 + i] = (byte) packed[i];
        float d0 = getHalf(out, oo + 108);
        for (int j = 0; j < 16; j++) {
            int sc = j < 8 ? packed[j] & 0xF : (packed[j - 8] & 0xFF) >> 4;
            sc = (sc | (((packed[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
            float d = d0 * sc;
            if (d == 0) continue;
            if (simd) SymmetricVectorKernels.requantize(x, xo + 16 * j, d, 16, -4, 3, 4, L, 16 * j);
            else for (int ii = 0; ii < 16; ii++) L[16 * j + ii] = clamp(nearestInt(x[xo + 16 * j + ii] / d), -4, 3) + 4;
        }
        if (simd) {
            SymmetricVectorKernels.packQ3(L, out, oo);
            return;
        }
        // high bit of element j goes to bit j/32 of hmask[j % 32]; the low two bits stay in L
        Arrays.fill(out, oo, oo + 32, (byte) 0);
        // codes are 0..7, so "L > 3" is bit 2; branch-free, as random codes would defeat a branch predictor
        for (int j = 0; j < 256; j++) {
            out[oo + (j & 31)] |= (byte) (((L[j] >> 2) & 1) << (j >> 5));
            L[j] &= 3;
        }
        Q2KQuantizer.pack2Bit(L, out, oo + 32);
    }
}
