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
