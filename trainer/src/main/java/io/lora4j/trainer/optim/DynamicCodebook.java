package io.lora4j.trainer.optim;

import java.util.Arrays;

/**
 * bitsandbytes' dynamic ("dynamic tree") 8-bit codebooks (create_dynamic_map, REFERENCE.md E.2): for each decade
 * 10^(i−6), i = 0..6, the midpoints of a float32 linspace(0.1, 1, k) scaled into the decade (k = 2^i + 1 signed,
 * 2^(i+1) + 1 unsigned), the negatives too when signed, plus 0 and 1, sorted: 256 values.
 */
public final class DynamicCodebook {
    private DynamicCodebook() {}

    public static float[] signed() {
        return build(true);
    }

    public static float[] unsigned() {
        return build(false);
    }

    private static float[] build(boolean signed) {
        double[] data = new double[256];
        int n = 0;
        for (int i = 0; i < 7; i++) {
            int k = signed ? (1 << i) + 1 : (1 << (i + 1)) + 1;
            float[] b = linspace(0.1f, 1.0f, k);
            double scale = i == 6 ? 1.0 : Math.pow(10, i - 6);
            for (int j = 0; j + 1 < k; j++) {
                float mean = (b[j] + b[j + 1]) / 2.0f;
                data[n++] = scale * mean;
                if (signed) data[n++] = -scale * mean;
            }
        }
        data[n++] = 0;
        data[n++] = 1.0;
        if (n != 256) throw new IllegalStateException("codebook has " + n + " entries");
        float[] out = new float[256];
        for (int i = 0; i < 256; i++) out[i] = (float) data[i];
        Arrays.sort(out);
        return out;
    }

    /** torch.linspace in float32: start + step·i for the first half, end − step·(k−1−i) for the second. */
    static float[] linspace(float start, float end, int k) {
        float[] v = new float[k];
        float step = (end - start) / (k - 1);
        int half = k / 2;
        for (int i = 0; i < k; i++) v[i] = i < half ? start + step * i : end - step * (k - 1 - i);
        return v;
    }

    /** Midpoints between neighbouring codes: code i is chosen for values in [mid[i−1], mid[i]). */
    public static float[] midpoints(float[] code) {
        float[] mid = new float[code.length - 1];
        for (int i = 0; i < mid.length; i++) mid[i] = (code[i] + code[i + 1]) / 2f;
        return mid;
    }
}
