package io.lora4j.core.model;

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
        boolean tiedEmbeddings) {

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
        long embeddings = (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2);
        return nLayers * perLayer + embeddings + dim;
    }
}
