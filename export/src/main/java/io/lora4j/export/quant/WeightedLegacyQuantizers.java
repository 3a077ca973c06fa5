package io.lora4j.export.quant;

import static io.lora4j.export.quant.QuantMath.putHalf;

import io.lora4j.core.ggml.GgmlType;

/**
 * Q4_0, Q4_1, Q5_0, Q5_1 with an importance matrix (ggml's quantize_row_q4_0_impl … q5_1_impl): each value weighs
 * qw·sqrt(σ² + x²), σ² the mean square of the whole row; the symmetric types search their scale with
 * make_qx_quants, the types with a min with make_qkx3_quants. Block layouts as {@link LegacyQuantizers}.
 */
final class WeightedLegacyQuantizers {
    private WeightedLegacyQuantizers() {}

    static WeightedBlockQuantizer forType(GgmlType type, float[] columnWeights) {
        return new Impl(type, columnWeights);
    }

    private static final class Impl extends WeightedBlockQuantizer {
        private final boolean five, withMin;
        private final WeightedSearch search = new WeightedSearch(32);
        private final float[] weight = new float[32];
        private final int[] L = new int[32];

        Impl(GgmlType type, float[] columnWeights) {
            super(type, columnWeights);
            if (columnWeights == null) throw new IllegalArgumentException(type + ": the importance-matrix quantizer needs weights");
            five = type == GgmlType.Q5_0 || type == GgmlType.Q5_1;
            withMin = type == GgmlType.Q4_1 || type == GgmlType.Q5_1;
        }

        /** Called with whole rows only: σ² is taken over all the blocks given. */
        @Override
        void quantizeBlocks(float[] x, int xo, float[] qw, int qwo, int nBlocks, byte[] out, int oo) {
            int n = 32 * nBlocks;
            float sumX2 = 0;
            for (int j = 0; j < n; j++) sumX2 += x[xo + j] * x[xo + j];
            float sigma2 = sumX2 / n;
            int size = type().typeSize;
            for (int ib = 0; ib < nBlocks; ib++, oo += size) {
                int b = xo + 32 * ib;
                for (int j = 0; j < 32; j++) weight[j] = qw[qwo + 32 * ib + j] * (float) Math.sqrt(sigma2 + x[b + j] * x[b + j]);
                int qs;
                if (withMin) {
                    float d = search.qkx3(32, five ? 31 : 15, x, b, weight, L, 0, -0.9f, 0.05f, 36);
                    putHalf(out, oo, d);
                    putHalf(out, oo + 2, -search.theMin);
                    qs = oo + (five ? 8 : 4);
                } else {
                    float d = search.qx(32, five ? 16 : 8, x, b, weight, 0, L, 0);
                    putHalf(out, oo, d);
                    qs = oo + (five ? 6 : 2);
                }
                int qh = 0;
                for (int j = 0; j < 16; j++) {
                    int x0 = L[j], x1 = L[j + 16];
                    out[qs + j] = (byte) ((x0 & 0xF) | ((x1 & 0xF) << 4));
                    qh |= ((x0 >> 4) & 1) << j | ((x1 >> 4) & 1) << (j + 16);
                }
                if (five) {
                    int at = withMin ? oo + 4 : oo + 2;
                    out[at] = (byte) qh;
                    out[at + 1] = (byte) (qh >>> 8);
                    out[at + 2] = (byte) (qh >>> 16);
                    out[at + 3] = (byte) (qh >>> 24);
                }
            }
        }
    }
}
