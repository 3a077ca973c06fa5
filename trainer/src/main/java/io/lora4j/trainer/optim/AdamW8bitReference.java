package io.lora4j.trainer.optim;

import java.util.Arrays;

/**
 * The plain-Java reference of {@link AdamW8bit} for one tensor (≥ 4096 elements), written as bitsandbytes' CPU
 * path reads: dequantize m and v, update in fp32, requantize each 256-block with its new absmax to the nearest code.
 */
public final class AdamW8bitReference {
    private final float[] codeS = DynamicCodebook.signed(), codeU = DynamicCodebook.unsigned();
    private final float[] midS = DynamicCodebook.midpoints(codeS), midU = DynamicCodebook.midpoints(codeU);
    private final int[] codesM, codesV;
    private final float[] absM, absV;
    private final AdamWSettings s;
    private long t;

    public AdamW8bitReference(int n, AdamWSettings s) {
        this.s = s;
        int padded = (int) AdamW8bit.roundUp(n);
        codesM = new int[padded];
        Arrays.fill(codesM, AdamW8bit.indexOf(codeS, 0f));
        codesV = new int[padded];
        absM = new float[padded / AdamW8bit.BLOCK];
        absV = new float[padded / AdamW8bit.BLOCK];
    }

    public void step(float[] p, float[] g, double lr) {
        t++;
        int padded = codesM.length;
        float[] m = new float[padded], v = new float[padded];
        for (int i = 0; i < padded; i++) {
            int b = i / AdamW8bit.BLOCK;
            m[i] = codeS[codesM[i]] * absM[b];
            v[i] = codeU[codesV[i]] * absV[b];
        }
        float c1 = (float) (1 - Math.pow(s.beta1(), t)), c2 = (float) (1 - Math.pow(s.beta2(), t));
        for (int i = 0; i < padded; i++) {
            float gi = i < g.length ? g[i] : 0f;
            m[i] = m[i] * (float) s.beta1() + gi * (float) (1 - s.beta1());
            v[i] = v[i] * (float) s.beta2() + gi * gi * (float) (1 - s.beta2());
            if (i < p.length) {
                if (s.weightDecay() > 0) p[i] *= (float) (1 - lr * s.weightDecay());
                p[i] -= m[i] / ((float) Math.sqrt(v[i] / c2) + (float) s.eps()) * (float) (lr / c1);
            }
        }
        quantize(m, codesM, absM, midS);
        quantize(v, codesV, absV, midU);
    }

    private static void quantize(float[] x, int[] codes, float[] absmax, float[] mid) {
        for (int b = 0; b < absmax.length; b++) {
            float a = 0;
            for (int i = b * AdamW8bit.BLOCK; i < (b + 1) * AdamW8bit.BLOCK; i++) a = Math.max(a, Math.abs(x[i]));
            absmax[b] = a;
            float scale = a == 0 ? 1 : a;
            for (int i = b * AdamW8bit.BLOCK; i < (b + 1) * AdamW8bit.BLOCK; i++) {
                float norm = x[i] / scale;
                int lo = 0, hi = mid.length; // number of midpoints strictly below norm
                while (lo < hi) {
                    int h = (lo + hi) >>> 1;
                    if (mid[h] < norm) lo = h + 1;
                    else hi = h;
                }
                codes[i] = lo;
            }
        }
    }

    public float[] firstMoment() {
        float[] m = new float[codesM.length];
        for (int i = 0; i < m.length; i++) m[i] = codeS[codesM[i]] * absM[i / AdamW8bit.BLOCK];
        return m;
    }
}
