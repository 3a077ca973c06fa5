package io.lora4j.core.model;

import io.lora4j.core.compute.Workspaces;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The LLaMA forward pass with ND4J ops, in fp32 over frozen weights held as stored (fp32, fp16, bf16, ggml blocks).
 *
 * <pre>
 * h = Embed[tokens]
 * per layer:  h += Wo · Attention(RoPE(Wq·RMSNorm(h) + bq), RoPE(Wk·RMSNorm(h) + bk), Wv·RMSNorm(h) + bv)   (biases: Qwen2)
 *             h += Wdown · (silu(Wgate·RMSNorm(h)) ⊙ Wup·RMSNorm(h))
 * logits = Wout · RMSNorm(h)
 * </pre>
 *
 * Projections go through {@link Linear}, created by a {@link LinearFactory}: the model knows nothing of LoRA.
 */
public final class LlamaModel {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final List<Map<Projection, Linear>> linears;
    private final Linear output;
    private boolean emulateF16KvCache;

    public LlamaModel(LlamaConfig config, LlamaWeights weights) {
        this(config, weights, LinearFactory.FROZEN);
    }

    public LlamaModel(LlamaConfig config, LlamaWeights weights, LinearFactory factory) {
        this.config = config;
        this.weights = weights;
        this.linears = new ArrayList<>(config.nLayers());
        for (int l = 0; l < config.nLayers(); l++) {
            Map<Projection, Linear> m = new EnumMap<>(Projection.class);
            for (Projection p : Projection.values()) {
                m.put(p, factory.create(l, p, new FrozenLinear(weights.layers().get(l).weight(p))));
            }
            linears.add(m);
        }
        this.output = new FrozenLinear(weights.outputWeight());
    }

    /**
     * Round attention operands to fp16 as llama.cpp's default f16 KV cache does. Off by default (training and
     * lora4j's own inference run fully in fp32); on, logits follow llama.cpp's more closely.
     */
    public LlamaModel emulateF16KvCache(boolean on) {
        this.emulateF16KvCache = on;
        return this;
    }

    public LlamaConfig config() {
        return config;
    }

    public LlamaWeights weights() {
        return weights;
    }

    public Linear linear(int layer, Projection p) {
        return linears.get(layer).get(p);
    }

    /** The output projection (V, d) applied to the final normalized hidden state. */
    public Linear outputLinear() {
        return output;
    }

    /** Everything the backward pass needs from one block's forward pass. Shapes use N = B·T rows. */
    public record LayerCache(
            INDArray x,          // (N, d) block input
            INDArray rstdAttn,   // (N, 1)
            INDArray xnAttn,     // (N, d) input of q/k/v
            CausalAttention.Cache attention,
            INDArray attnOut,    // (N, H·hd) input of o_proj
            INDArray xMid,       // (N, d) after the attention residual
            INDArray rstdFfn,    // (N, 1)
            INDArray xnFfn,      // (N, d) input of gate/up
            INDArray gate,       // (N, f)
            INDArray up,         // (N, f)
            INDArray act) {      // (N, f) input of down_proj

        /** The same cache with every array copied out of the block's workspace into {@code outer} (null: plain memory). */
        LayerCache keptIn(MemoryWorkspace outer) {
            CausalAttention.Cache a = attention;
            CausalAttention.Cache keptAttention = a == null ? null
                    : new CausalAttention.Cache(Workspaces.keep(a.q(), outer), Workspaces.keep(a.k(), outer), Workspaces.keep(a.v(), outer), Workspaces.keep(a.p(), outer));
            return new LayerCache(Workspaces.keep(x, outer), Workspaces.keep(rstdAttn, outer), Workspaces.keep(xnAttn, outer), keptAttention,
                    Workspaces.keep(attnOut, outer), Workspaces.keep(xMid, outer), Workspaces.keep(rstdFfn, outer), Workspaces.keep(xnFfn, outer),
                    Workspaces.keep(gate, outer), Workspaces.keep(up, outer), Workspaces.keep(act, outer));
        }

        /** A checkpoint of a block under recomputation: only its input is kept. */
        static LayerCache inputOnly(INDArray x) {
            return new LayerCache(x, null, null, null, null, null, null, null, null, null, null);
        }

        boolean isInputOnly() {
            return xnAttn == null;
        }
    }

    /** Re-runs block {@code l}'s forward from its saved input, keeping every activation (for the backward pass). */
    LayerCache recompute(int l, int B, int T, INDArray x, Rope rope, INDArray mask) {
        List<LayerCache> one = new ArrayList<>(1);
        block(l, B, T, x, rope, mask, one);
        return one.get(0);
    }

    /**
     * The result of a forward pass. {@code logits} is null for {@link #hidden}; the caches ({@code layers},
     * {@code xFinal}, {@code rstdFinal}) are present only when requested; {@code xnFinal} (N, d), the input of the
     * output projection, always is. {@code mask} is the attention mask of a packed batch (null: plain causal).
     */
    public record Forward(int batch, int seqLen, INDArray logits, List<LayerCache> layers, INDArray xFinal, INDArray rstdFinal, INDArray xnFinal, Rope rope,
                          INDArray mask) {}

    /** Logits (B·T, V) for a batch of equal-length sequences, each evaluated from position 0. */
    public INDArray logits(int[][] tokens) {
        return forward(tokens, false).logits();
    }

    public Forward forward(int[][] tokens, boolean keepCaches) {
        return forward(tokens, keepCaches, false);
    }

    /**
     * With {@code recompute}, only each block's input is kept and the backward pass recomputes the block's
     * activations just before it needs them: same gradients, activation memory of one block instead of all.
     */
    public Forward forward(int[][] tokens, boolean keepCaches, boolean recompute) {
        return run(tokens, null, keepCaches, recompute, true);
    }

    /**
     * A batch whose rows may hold several packed examples ({@code segments}, null: one sequence per row): each
     * example attends only to itself and its positions start at 0, so its logits are those it has alone.
     */
    public Forward forward(int[][] tokens, Segments segments, boolean keepCaches, boolean recompute) {
        return run(tokens, segments, keepCaches, recompute, true);
    }

    /**
     * The forward pass up to the input of the output projection, without the (B·T, V) logits: the loss is then
     * computed in row chunks from {@code xnFinal} ({@link CausalLmLoss#fromHidden}, {@link LlamaBackward#lossAndBackward}).
     */
    public Forward hidden(int[][] tokens, boolean keepCaches, boolean recompute) {
        return run(tokens, null, keepCaches, recompute, false);
    }

    /** {@link #hidden} of a batch of packed rows (see {@link #forward(int[][], Segments, boolean, boolean)}). */
    public Forward hidden(int[][] tokens, Segments segments, boolean keepCaches, boolean recompute) {
        return run(tokens, segments, keepCaches, recompute, false);
    }

    /**
     * Each block runs in the per-block part workspace ({@link Workspaces#part}), which is reset when the block ends: its temporaries (projections
     * before reshaping, scores, RoPE and dropout intermediates, …) die there, and only what the backward pass needs —
     * everything in its {@link LayerCache}, or only its input under {@code recompute} — and its output are copied out to
     * the enclosing scope (the micro-batch's workspace, or plain memory).
     */
    private Forward run(int[][] tokens, Segments segments, boolean keepCaches, boolean recompute, boolean withLogits) {
        int B = tokens.length, T = tokens[0].length;
        int[] flat = new int[B * T];
        for (int b = 0; b < B; b++) {
            if (tokens[b].length != T) throw new IllegalArgumentException("all sequences in a batch must have the same length");
            System.arraycopy(tokens[b], 0, flat, b * T, T);
        }
        for (int id : flat) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
        // unpacked: one RoPE table and the cached causal mask; packed: per-row positions and a block-diagonal mask
        if (segments != null) segments.check(B, T);
        Rope rope = segments == null ? Rope.forPositions(0, T, config) : Rope.forPositionIds(segments.positions(T), config);
        INDArray mask = segments == null ? null : segments.mask(T, config.slidingWindow(), computeType());
        INDArray h = embed(flat);
        List<LayerCache> caches = keepCaches ? new ArrayList<>(config.nLayers()) : null;
        MemoryWorkspace outer = Nd4j.getMemoryManager().getCurrentWorkspace();
        for (int l = 0; l < config.nLayers(); l++) {
            if (keepCaches && recompute) caches.add(LayerCache.inputOnly(h));
            try (MemoryWorkspace ignored = Workspaces.part()) { // the workspace the backward pass recomputes blocks in: one size for both
                List<LayerCache> one = keepCaches && !recompute ? new ArrayList<>(1) : null;
                INDArray out = block(l, B, T, h, rope, mask, one);
                if (one != null) caches.add(one.get(0).keptIn(outer));
                h = Workspaces.keep(out, outer);
            }
        }
        INDArray rstd = RmsNorm.rstd(h, config.rmsNormEps());
        INDArray xn = RmsNorm.forward(h, rstd, weights.outputNorm());
        INDArray logits = withLogits ? output.forward(xn) : null;
        return keepCaches ? new Forward(B, T, logits, caches, h, rstd, xn, rope, mask) : new Forward(B, T, logits, null, null, null, xn, rope, mask);
    }

    /** The type activations are computed in: fp32, or fp64 when the weights are fp64 (gradient checks). */
    public DataType computeType() {
        return weights.weightType() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
    }

    /** Embedding rows (N, d) in the compute type. */
    public INDArray embed(int[] ids) {
        return weights.embeddingWeight().rows(ids, computeType());
    }

    /**
     * x (N, in) → Linear(x) + b. The bias sits outside the {@link Linear}, so a LoRA adds B·A·x on top of W·x + b and
     * the bias is a plain base tensor whose gradient goes to the {@link GradientSink} (frozen under LoRA).
     */
    public INDArray project(int l, Projection p, INDArray x) {
        INDArray y = linears.get(l).get(p).forward(x);
        INDArray b = weights.layers().get(l).b(p);
        return b == null ? y : y.addiRowVector(b.dataType() == y.dataType() ? b : b.castTo(y.dataType()));
    }

    private INDArray block(int l, int B, int T, INDArray x, Rope rope, INDArray mask, List<LayerCache> caches) {
        LlamaWeights.Layer w = weights.layers().get(l);
        float eps = config.rmsNormEps();

        INDArray rstdAttn = RmsNorm.rstd(x, eps);
        INDArray xnAttn = RmsNorm.forward(x, rstdAttn, w.attnNorm());
        INDArray q = project(l, Projection.Q, xnAttn);
        INDArray k = project(l, Projection.K, xnAttn);
        INDArray v = project(l, Projection.V, xnAttn);
        CausalAttention.Cache[] attnCache = caches != null ? new CausalAttention.Cache[1] : null;
        INDArray attnOut = CausalAttention.forward(config, B, T, q, k, v, rope, mask, emulateF16KvCache, attnCache);
        INDArray xMid = project(l, Projection.O, attnOut).addi(x);

        INDArray rstdFfn = RmsNorm.rstd(xMid, eps);
        INDArray xnFfn = RmsNorm.forward(xMid, rstdFfn, w.ffnNorm());
        INDArray gate = project(l, Projection.GATE, xnFfn);
        INDArray up = project(l, Projection.UP, xnFfn);
        INDArray act = SwiGlu.forward(gate, up);
        INDArray out = project(l, Projection.DOWN, act).addi(xMid);

        if (caches != null) {
            caches.add(new LayerCache(x, rstdAttn, xnAttn, attnCache[0], attnOut, xMid, rstdFfn, xnFfn, gate, up, act));
        }
        return out;
    }

}
