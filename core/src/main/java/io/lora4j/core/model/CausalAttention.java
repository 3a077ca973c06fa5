package io.lora4j.core.model;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Grouped-query causal self-attention over whole sequences (training and scoring).
 *
 * <p>The g = H/Hkv query heads that share a key/value head are stacked along the time axis, so one batched
 * matmul per step serves them all and keys/values are never repeated: q (B, Hkv, g·T, hd) · kᵀ (B, Hkv, hd, T).
 */
public final class CausalAttention {
    static final float MASKED = -1e30f;

    private CausalAttention() {}

    /**
     * What the backward pass needs from the forward pass.
     *
     * @param q roped queries (B, Hkv, g·T, hd)
     * @param k roped keys (B, Hkv, T, hd)
     * @param v values (B, Hkv, T, hd)
     * @param p attention probabilities (B, Hkv, g·T, T)
     */
    public record Cache(INDArray q, INDArray k, INDArray v, INDArray p) {}

    static INDArray roundToHalf(INDArray a) {
        return a.castTo(DataType.HALF).castTo(a.dataType());
    }

    /** Masks by (T, window, type), built once per length outside every workspace; a few lengths are kept. */
    private static final Map<String, INDArray> MASKS = new ConcurrentHashMap<>();
    private static final int MAX_MASKS = 8;

    /**
     * Additive causal mask (T, T): 0 where the key is at or before the query position (and, with a sliding
     * {@code window} W > 0, fewer than W positions back, as Mistral), a huge negative number elsewhere.
     */
    static INDArray mask(int T, int window) {
        float[] m = new float[T * T];
        for (int t = 0; t < T; t++) {
            for (int s = t + 1; s < T; s++) m[t * T + s] = MASKED;
            if (window > 0) for (int s = 0; s <= t - window; s++) m[t * T + s] = MASKED;
        }
        return Nd4j.create(m, new long[] {T, T}, 'c');
    }

    /** The cached mask (1, T, T) of this length and type; callers must not modify it. */
    static INDArray cachedMask(int T, int window, DataType type) {
        String key = T + "/" + window + "/" + type;
        INDArray m = MASKS.get(key);
        if (m != null) return m;
        if (MASKS.size() >= MAX_MASKS) MASKS.clear(); // many lengths (unpacked batches): start over rather than grow
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray built = mask(T, window);
            m = (built.dataType() == type ? built : built.castTo(type)).reshape(1, T, T);
        }
        MASKS.put(key, m);
        return m;
    }

    /**
     * q (N, H·hd), k and v (N, Hkv·hd) with N = B·T → attention output (N, H·hd).
     * Writes the backward cache into {@code cacheOut[0]} when it is not null. With {@code f16Cache} the attention
     * rounds q, k, v and the probabilities to fp16 the way llama.cpp's default f16 KV cache does (for parity checks).
     */
    public static INDArray forward(LlamaConfig c, int B, int T, INDArray q, INDArray k, INDArray v, Rope rope, boolean f16Cache, Cache[] cacheOut) {
        return forward(c, B, T, q, k, v, rope, null, f16Cache, cacheOut);
    }

    /**
     * As above with an additive {@code mask} (B, 1, T, T) of each sequence's own (packed sequences: block-diagonal,
     * {@link Segments#mask}); null: the shared causal mask. The backward needs no mask: masked probabilities are 0.
     */
    public static INDArray forward(LlamaConfig c, int B, int T, INDArray q, INDArray k, INDArray v, Rope rope, INDArray mask, boolean f16Cache,
                                   Cache[] cacheOut) {
        int H = c.nHeads(), Hkv = c.nKvHeads(), hd = c.headDim(), g = c.groupSize();
        INDArray qh = rope.forward(q.reshape('c', B, T, H, hd)).permute(0, 2, 1, 3).dup('c').reshape('c', B, Hkv, g * T, hd);
        INDArray kh = rope.forward(k.reshape('c', B, T, Hkv, hd)).permute(0, 2, 1, 3).dup('c');
        INDArray vh = v.reshape('c', B, T, Hkv, hd).permute(0, 2, 1, 3).dup('c');
        if (f16Cache) { // llama.cpp keeps K and V in an f16 cache and converts q to f16 for the K·q product
            qh = roundToHalf(qh);
            kh = roundToHalf(kh);
            vh = roundToHalf(vh);
        }

        INDArray scores = Nd4j.createUninitialized(q.dataType(), B, Hkv, (long) g * T, T);
        Nd4j.matmul(qh, kh, scores, false, true, false);
        scores.muli(1.0 / Math.sqrt(hd));
        if (mask == null) scores.reshape('c', (long) B * Hkv * g, T, T).addi(cachedMask(T, c.slidingWindow(), q.dataType())); // a view: adds in place
        else scores.reshape('c', B, (long) Hkv * g, T, T).addi(mask);
        INDArray p = scores; // softmax in place: the scores are not needed after it
        Nd4j.exec(new SoftMax(scores, p, 3));
        if (f16Cache) p = roundToHalf(p); // …and the probabilities to f16 for the product with the f16 V cache

        INDArray out = Nd4j.createUninitialized(q.dataType(), B, Hkv, (long) g * T, hd);
        Nd4j.matmul(p, vh, out, false, false, false);
        if (cacheOut != null) cacheOut[0] = new Cache(qh, kh, vh, p);
        return out.reshape('c', B, H, T, hd).permute(0, 2, 1, 3).dup('c').reshape('c', (long) B * T, (long) H * hd);
    }

    /** Gradients of q, k, v (pre-RoPE, in the (N, ·) layout of the forward inputs) from dOut (N, H·hd). */
    public static INDArray[] backward(LlamaConfig c, int B, int T, INDArray dOut, Rope rope, Cache cache) {
        int H = c.nHeads(), Hkv = c.nKvHeads(), hd = c.headDim(), g = c.groupSize();
        double scale = 1.0 / Math.sqrt(hd);
        // forward: out = p · v
        INDArray dO = dOut.reshape('c', B, T, H, hd).permute(0, 2, 1, 3).dup('c').reshape('c', B, Hkv, g * T, hd);
        INDArray dp = Nd4j.matmul(dO, cache.v(), null, false, true, false);
        INDArray dv = Nd4j.matmul(cache.p(), dO, null, true, false, false);
        // forward: p = softmax(s); ds = p ⊙ (dp − Σ_j dp⊙p)
        INDArray rowDot = dp.mul(cache.p()).sum(true, 3);
        INDArray ds = dp.subi(rowDot).muli(cache.p()).muli(scale);
        // forward: s = q · kᵀ · scale
        INDArray dq = Nd4j.matmul(ds, cache.k(), null, false, false, false);   // (B, Hkv, gT, hd)
        INDArray dk = Nd4j.matmul(ds, cache.q(), null, true, false, false);    // (B, Hkv, T, hd)

        INDArray dqFlat = rope.backward(dq.reshape('c', B, H, T, hd).permute(0, 2, 1, 3).dup('c')).reshape('c', (long) B * T, (long) H * hd);
        INDArray dkFlat = rope.backward(dk.permute(0, 2, 1, 3).dup('c')).reshape('c', (long) B * T, (long) Hkv * hd);
        INDArray dvFlat = dv.permute(0, 2, 1, 3).dup('c').reshape('c', (long) B * T, (long) Hkv * hd);
        return new INDArray[] {dqFlat, dkFlat, dvFlat};
    }
}
