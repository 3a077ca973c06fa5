package io.lora4j.core.model;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The hyperparameters of a LLaMA-family model (the blueprint, nothing else).
 *
 * <p>Legend used across the model code: B batch, T sequence, N = B·T rows, d model dim, H query heads,
 * Hkv key/value heads, hd head dim, f feed-forward dim, V vocabulary, L layers.
 *
 * @param dim            d (embedding_length / hidden_size)
 * @param hiddenDim      f (feed_forward_length / intermediate_size)
 * @param nLayers        L
 * @param nHeads         H
 * @param nKvHeads       Hkv (H for plain multi-head attention, fewer for GQA)
 * @param headDim        hd (usually d/H)
 * @param vocabSize      V
 * @param contextLength  positions the model was trained for
 * @param rmsNormEps     ε of every RMSNorm
 * @param ropeTheta      RoPE base
 * @param tiedEmbeddings the output projection reuses the token embedding
 * @param architecture   the family the checkpoint declared (names for export; the math is in the other fields)
 * @param biases         projections with an additive bias (Qwen2: q, k, v; none for LLaMA and Mistral)
 * @param ropeScaling    per-frequency RoPE factors (Llama-3.1 {@code llama3}), or null for plain RoPE
 * @param slidingWindow  attention sees only the last {@code slidingWindow} positions (Mistral); 0 for full causal attention
 */
public record LlamaConfig(
        int dim,
        int hiddenDim,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int headDim,
        int vocabSize,
        int contextLength,
        float rmsNormEps,
        float ropeTheta,
        boolean tiedEmbeddings,
        Architecture architecture,
        Set<Projection> biases,
        RopeScaling ropeScaling,
        int slidingWindow) {

    /** A plain LLaMA config: no biases, no RoPE scaling, no sliding window. */
    public LlamaConfig(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int headDim, int vocabSize, int contextLength,
            float rmsNormEps, float ropeTheta, boolean tiedEmbeddings) {
        this(dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, contextLength, rmsNormEps, ropeTheta, tiedEmbeddings,
                Architecture.LLAMA, Set.of(), null, 0);
    }

    public LlamaConfig {
        require(dim > 0, "dim", dim, "> 0");
        require(hiddenDim > 0, "hidden_dim", hiddenDim, "> 0");
        require(nLayers > 0, "n_layers", nLayers, "> 0");
        require(nHeads > 0, "n_heads", nHeads, "> 0");
        require(nKvHeads > 0 && nHeads % nKvHeads == 0, "n_kv_heads", nKvHeads, "a divisor of n_heads=" + nHeads);
        require(headDim > 0 && headDim % 2 == 0, "head_dim", headDim, "a positive even number");
        require(vocabSize > 0, "vocab_size", vocabSize, "> 0");
        require(contextLength > 0, "context_length", contextLength, "> 0");
        require(rmsNormEps > 0 && Float.isFinite(rmsNormEps), "rms_norm_eps", rmsNormEps, "a small positive number");
        require(ropeTheta > 0 && Float.isFinite(ropeTheta), "rope_theta", ropeTheta, "> 0");
        require(architecture != null, "architecture", architecture, "one of " + Arrays.toString(Architecture.values()));
        biases = biases == null || biases.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(biases));
        require(ropeScaling == null || ropeScaling.freqFactors().length == headDim / 2, "rope_scaling",
                ropeScaling, "one frequency factor per rotary pair (" + headDim / 2 + ")");
        require(slidingWindow >= 0, "sliding_window", slidingWindow, "≥ 0 (0: none)");
    }

    /** The same config with another architecture name (e.g. a Mistral read from a llama GGUF). */
    public LlamaConfig withArchitecture(Architecture a) {
        return new LlamaConfig(dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, contextLength, rmsNormEps, ropeTheta,
                tiedEmbeddings, a, biases, ropeScaling, slidingWindow);
    }

    public boolean hasBias(Projection p) {
        return biases.contains(p);
    }

    private static void require(boolean ok, String key, Object value, String expected) {
        if (!ok) throw new IllegalArgumentException("model config: " + key + " = " + value + ", expected " + expected);
    }

    /** Query heads per key/value head (1 without GQA). */
    public int groupSize() {
        return nHeads / nKvHeads;
    }

    /** Width of the concatenated query heads, H·hd. */
    public int qDim() {
        return nHeads * headDim;
    }

    /** Width of the concatenated key (or value) heads, Hkv·hd. */
    public int kvDim() {
        return nKvHeads * headDim;
    }

    /** Parameters of the base model (the output matrix counted once when tied). */
    public long parameterCount() {
        long perLayer = 2L * dim + (long) qDim() * dim * 2 + (long) kvDim() * dim * 2 + 3L * hiddenDim * dim;
        for (Projection p : biases) perLayer += p.outFeatures(this);
        long embeddings = (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2);
        return nLayers * perLayer + embeddings + dim;
    }
}
