package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.GROUP_MAX_EPS;
import static io.lora4j.export.quant.QuantMath.nearestInt;
import static io.lora4j.export.quant.QuantMath.putHalf;

import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.ggml.NonLinearBlocks;

/**
 * IQ4_NL and IQ4_XS as llama-quantize writes them (ggml's quantize_iq4_nl / quantize_iq4_xs, both through
 * quantize_row_iq4_nl_impl with ntry 7, with or without an importance matrix): per 32 values, the scale is the best
 * of the start d = max/127 and 15 candidates by weighted least squares over the 16 non-linear levels. IQ4_NL stores
 * that scale as fp16; IQ4_XS stores 6-bit scales against one fp16 d = −max_scale/32 per 256 values and re-picks
 * the codes from the rounded scales. Layouts: see core's NonLinearBlocks.
 */
final class Iq4Quantizer extends WeightedBlockQuantizer {
    private static final int NTRY = 7;
    private static final int[] LEVELS = new int[16];

    static {
        for (int q = 0; q < 16; q++) LEVELS[q] = NonLinearBlocks.level(q);
    }

    private final int superBlock;
    private final float[] weight = new float[32], scales = new float[8];
    private final int[] L = new int[256];

    private Iq4Quantizer(GgmlType type, float[] columnWeights) {
        super(type, columnWeights);
        this.superBlock = type.blockSize;
    }

    static Iq4Quantizer nl(float[] columnWeights) {
        return new Iq4Quantizer(GgmlType.IQ4_NL, columnWeights);
    }

    static Iq4Quantizer xs(float[] columnWeights) {
        return new Iq4Quantizer(GgmlType.IQ4_XS, columnWeights);
    }

    @Override
    void quantizeBlocks(float[] x, int xo, float[] qw, int qwo, int nBlocks, byte[] out, int oo) {
        int size = type().typeSize;
        for (int b = 0; b < nBlocks; b++, xo += superBlock, qwo += superBlock, oo += size) {
            if (superBlock == 32) nlBlock(x, xo, qw, qwo, out, oo);
            else xsBlock(x, xo, qw, qwo, out, oo);
        }
    }

    private void nlBlock(float[] x, int xo, float[] qw, int qwo, byte[] out, int oo) {
        float d = subBlockScale(x, xo, qw, qwo, sigma2(x, xo, 32));
        putHalf(out, oo, d);
        float id = d != 0 ? 1 / d : 0; // NaN counts as true, as in C
        for (int j = 0; j < 32; j++) L[j] = bestIndex(id * x[xo + j]);
        packNibbles(out, oo + 2, 1);
    }

    private void xsBlock(float[] x, int xo, float[] qw, int qwo, byte[] out, int oo) {
        float sigma2 = sigma2(x, xo, 256);
        float maxScale = 0, amaxScale = 0;
        for (int ib = 0; ib < 8; ib++) {
            float d = subBlockScale(x, xo + 32 * ib, qw, qwo + 32 * ib, sigma2);
            scales[ib] = d;
            float abs = Math.abs(d);
            if (abs > amaxScale) {
                amaxScale = abs;
                maxScale = d;
            }
        }
        float d = -maxScale / 32;
        putHalf(out, oo, d);
        float id = d != 0 ? 1 / d : 0;
        int scalesH = 0;
        for (int ib = 0; ib < 8; ib++) {
            int l = Math.max(-32, Math.min(31, nearestInt(id * scales[ib])));
            float dl = d * l; // the unrounded d, as in ggml
            float idl = dl != 0 ? 1 / dl : 0;
            for (int j = 0; j < 32; j++) L[32 * ib + j] = bestIndex(idl * x[xo + 32 * ib + j]);
            l += 32;
            if (ib % 2 == 0) out[oo + 4 + ib / 2] = (byte) (l & 0xF);
            else out[oo + 4 + ib / 2] |= (byte) ((l & 0xF) << 4);
            scalesH |= (l >> 4) << 2 * ib;
        }
        out[oo + 2] = (byte) scalesH;
        out[oo + 3] = (byte) (scalesH >> 8);
        packNibbles(out, oo + 8, 8);
    }

    /** 2·mean(x²) over the super-block: the offset under sqrt in the importance weights. */
    private static float sigma2(float[] x, int xo, int n) {
        float s = 0;
        for (int j = 0; j < n; j++) s += x[xo + j] * x[xo + j];
        return s * (2f / n);
    }

    /**
     * The scale of 32 values: 0 for an all-but-zero block, else the start max/127 refined by least squares, then
     * the best of the 15 grids (itry − 127)/max, itry in [−7, 7], by Σwqx²/Σwq².
     */
    private float subBlockScale(float[] x, int xo, float[] qw, int qwo, float sigma2) {
        if (qw != null) {
            for (int j = 0; j < 32; j++) weight[j] = qw[qwo + j] * (float) Math.sqrt(sigma2 + x[xo + j] * x[xo + j]);
        } else {
            for (int j = 0; j < 32; j++) weight[j] = x[xo + j] * x[xo + j];
        }
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float ax = Math.abs(x[xo + j]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + j];
            }
        }
        if (amax < GROUP_MAX_EPS) return 0;
        float d = -max / LEVELS[0];
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        for (int j = 0; j < 32; j++) {
            float q = LEVELS[bestIndex(id * x[xo + j])];
            float w = weight[j];
            sumqx += w * q * x[xo + j];
            sumq2 += w * q * q;
        }
        d = sumqx / sumq2;
        float best = d * sumqx;
        for (int itry = -NTRY; itry <= NTRY; itry++) {
            id = (itry + LEVELS[0]) / max;
            sumqx = 0;
            sumq2 = 0;
            for (int j = 0; j < 32; j++) {
                float q = LEVELS[bestIndex(id * x[xo + j])];
                float w = weight[j];
                sumqx += w * q * x[xo + j];
                sumq2 += w * q * q;
            }
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
        return d;
    }

    /** ggml's best_index_int8: the nearest level, the upper one on a tie; NaN lands on the top level. */
    static int bestIndex(float x) {
        if (x <= LEVELS[0]) return 0;
        if (x >= LEVELS[15]) return 15;
        int ml = 0, mu = 15;
        while (mu - ml > 1) {
            int mav = (ml + mu) / 2;
            if (x < LEVELS[mav]) mu = mav;
            else ml = mav;
        }
        return x - LEVELS[mu - 1] < LEVELS[mu] - x ? mu - 1 : mu;
    }

    /** Per 32 codes: byte j holds code j (low nibble) and code j+16 (high nibble). */
    private void packNibbles(byte[] out, int qs, int subBlocks) {
        for (int i = 0; i < subBlocks; i++) {
            for (int j = 0; j < 16; j++) out[qs + 16 * i + j] = (byte) (L[32 * i + j] | (L[32 * i + 16 + j] << 4));
        }
    }
}
