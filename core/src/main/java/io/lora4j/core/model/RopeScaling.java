package io.lora4j.core.model;

import java.util.Arrays;

/**
 * Per-frequency RoPE scaling: rotary pair i turns by p·θ^(−2i/hd) / freqFactors[i].
 *
 * <p>This is how llama.cpp applies Llama-3.1's {@code rope_type: llama3} (the converter stores the factors as the
 * {@code rope_freqs.weight} tensor), and it equals transformers' rescaled {@code inv_freq}. From a Hugging Face
 * config the llama3 parameters are kept too (to write config.json back); from a GGUF only the factors are known
 * ({@code factor} etc. are NaN then).
 *
 * @param freqFactors one divisor per rotary pair (hd/2 values)
 */
public record RopeScaling(String type, float factor, float lowFreqFactor, float highFreqFactor, int originalContextLength, float[] freqFactors) {

    public RopeScaling {
        for (float f : freqFactors) {
            if (!(f > 0) || !Float.isFinite(f)) throw new IllegalArgumentException("RoPE frequency factor " + f + ", expected a positive number");
        }
        freqFactors = freqFactors.clone();
    }

    /**
     * transformers' {@code _compute_llama3_parameters} as factors: wavelengths shorter than
     * original/high_freq_factor keep their frequency, longer than original/low_freq_factor are divided by
     * {@code factor}, and the band between is interpolated smoothly.
     */
    public static RopeScaling llama3(float factor, float lowFreqFactor, float highFreqFactor, int originalContextLength, int headDim, float theta) {
        if (!(factor >= 1) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalContextLength <= 0) {
            throw new IllegalArgumentException("llama3 rope_scaling: factor " + factor + ", low_freq_factor " + lowFreqFactor + ", high_freq_factor "
                    + highFreqFactor + ", original_max_position_embeddings " + originalContextLength
                    + "; expected factor ≥ 1, 0 < low_freq_factor < high_freq_factor, a positive original context");
        }
        double lowWavelen = originalContextLength / (double) lowFreqFactor, highWavelen = originalContextLength / (double) highFreqFactor;
        float[] ff = new float[headDim / 2];
        for (int i = 0; i < ff.length; i++) {
            double freq = 1.0 / Math.pow(theta, 2.0 * i / headDim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) ff[i] = 1f;
            else if (wavelen > lowWavelen) ff[i] = factor;
            else {
                double smooth = (originalContextLength / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                ff[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return new RopeScaling("llama3", factor, lowFreqFactor, highFreqFactor, originalContextLength, ff);
    }

    /**
     * The llama3 parameters behind a GGUF's factors, or null when they cannot be told. In the smooth band the factors
     * give s = (C/λ − low)/(high − low), a line in 1/λ whose slope and intercept fix low/C and high/C; every C with
     * those ratios yields the same factors, so C is taken where low = 1 (Llama-3.x's value) when that makes C a whole
     * number of tokens (with a single rotary pair in the smooth band, low 1 and high 4 are assumed). The result must
     * reproduce every factor to 1e-5, else null.
     */
    public static RopeScaling recoverLlama3(float[] freqFactors, int headDim, float theta) {
        double factor = 0;
        for (float f : freqFactors) factor = Math.max(factor, f);
        if (!(factor > 1)) return null;
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        int n = 0;
        for (int i = 0; i < freqFactors.length; i++) {
            double f = freqFactors[i];
            if (f <= 1 + 1e-6 || f >= factor * (1 - 1e-6)) continue;
            double x = 1 / (2 * Math.PI * Math.pow(theta, 2.0 * i / headDim)); // 1/λ
            double smooth = (1 / f - 1 / factor) / (1 - 1 / factor);
            sx += x;
            sy += smooth;
            sxx += x * x;
            sxy += x * smooth;
            n++;
        }
        if (n == 0) return null;
        // s = slope/λ + intercept; with one pair in the band the line is not determined and Llama-3.x's low 1, high 4 is assumed
        double slope = n == 1 ? (3 * sy + 1) / sx / 3 : (n * sxy - sx * sy) / (n * sxx - sx * sx);
        double intercept = n == 1 ? -1.0 / 3 : (sy - slope * sx) / n;
        if (!(slope > 0) || !(intercept < 0)) return null;
        long context = Math.round(-slope / intercept); // low = 1
        if (context <= 0 || context > Integer.MAX_VALUE) return null;
        double low = -intercept * context / slope, high = (1 - intercept) * context / slope;
        RopeScaling r;
        try {
            r = llama3((float) factor, (float) low, (float) high, (int) context, headDim, theta);
        } catch (IllegalArgumentException e) {
            return null;
        }
        for (int i = 0; i < freqFactors.length; i++) {
            if (Math.abs(r.freqFactors[i] - freqFactors[i]) > 1e-5 * freqFactors[i]) return null;
        }
        return r;
    }

    /** Factors read as they are (a GGUF's {@code rope_freqs.weight}). */
    public static RopeScaling ofFactors(float[] freqFactors) {
        return new RopeScaling("freq_factors", Float.NaN, Float.NaN, Float.NaN, 0, freqFactors);
    }

    @Override
    public float[] freqFactors() {
        return freqFactors.clone();
    }

    float factor(int i) {
        return freqFactors[i];
    }

    /** Whether this carries the llama3 parameters (needed to write a Hugging Face config.json). */
    public boolean hasLlama3Parameters() {
        return type.equals("llama3");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RopeScaling r && type.equals(r.type) && Float.compare(factor, r.factor) == 0
                && Float.compare(lowFreqFactor, r.lowFreqFactor) == 0 && Float.compare(highFreqFactor, r.highFreqFactor) == 0
                && originalContextLength == r.originalContextLength && Arrays.equals(freqFactors, r.freqFactors);
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + Arrays.hashCode(freqFactors);
    }

    @Override
    public String toString() {
        return "RopeScaling[" + type + (hasLlama3Parameters() ? ", factor " + factor + ", low " + lowFreqFactor + ", high " + highFreqFactor
                + ", original context " + originalContextLength : "") + ", freq factors " + Arrays.toString(freqFactors) + "]";
    }
}
