package io.lora4j.core.model;

import io.lora4j.core.compute.Workspaces;
import java.util.Map;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The explicit backward pass of {@link LlamaModel}: the forward's op list in reverse, each op's backward beside it.
 * Activation gradients always flow; parameter gradients go only where they are trainable (the {@link Linear}s decide
 * for projections, the {@link GradientSink} for embeddings, norms, biases and the output matrix).
 */
public final class LlamaBackward {
    private LlamaBackward() {}

    /** Runs the backward from dLogits (N, V) through a forward pass that kept its caches. */
    public static void backward(LlamaModel model, LlamaModel.Forward fwd, int[][] tokens, INDArray dLogits, GradientSink sink) {
        if (fwd.layers() == null) throw new IllegalStateException("backward needs a forward pass run with keepCaches = true");
        // forward: logits = xnFinal · Woutᵀ
        INDArray dWout = sink.gradient(outputName(model.config()));
        if (dWout != null) dWout.addi(Nd4j.gemm(dLogits, fwd.xnFinal(), true, false).castTo(dWout.dataType()));
        backwardFromHidden(model, fwd, tokens, model.outputLinear().backward(fwd.xnFinal(), dLogits), sink);
    }

    /**
     * The training step's loss and backward without the (N, V) logits: the loss, its gradient and the output
     * projection's backward run in row chunks ({@link CausalLmLoss#fromHidden}), then the blocks' backward.
     * The gradients are those of {@code sumScale} × (sum of the counted positions' losses).
     *
     * @param fwd a {@link LlamaModel#hidden} pass that kept its caches
     */
    public static CausalLmLoss.HiddenResult lossAndBackward(LlamaModel model, LlamaModel.Forward fwd, int[][] tokens, int[][] labels,
                                                           double sumScale, GradientSink sink) {
        if (fwd.layers() == null) throw new IllegalStateException("backward needs a forward pass run with keepCaches = true");
        CausalLmLoss.HiddenResult res = CausalLmLoss.fromHidden(model.outputLinear(), fwd.xnFinal(), labels, true, sumScale,
                sink.gradient(outputName(model.config())));
        if (res.count() > 0) backwardFromHidden(model, fwd, tokens, res.dHidden(), sink);
        return res;
    }

    private static String outputName(LlamaConfig c) {
        return c.tiedEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
    }

    /**
     * The backward from the gradient of xnFinal (N, d). Each block's backward runs in the per-block workspace (its
     * recomputation too): only the input gradient is copied out, so the temporaries of one block exist at a time.
     */
    public static void backwardFromHidden(LlamaModel model, LlamaModel.Forward fwd, int[][] tokens, INDArray dxn, GradientSink sink) {
        if (fwd.layers() == null) throw new IllegalStateException("backward needs a forward pass run with keepCaches = true");
        LlamaConfig c = model.config();
        LlamaWeights w = model.weights();
        int B = fwd.batch(), T = fwd.seqLen();
        // forward: xnFinal = RMSNorm(h)
        INDArray dh = RmsNorm.backward(dxn, fwd.xFinal(), fwd.rstdFinal(), w.outputNorm(), sink.gradient("model.norm.weight"));

        MemoryWorkspace outer = Nd4j.getMemoryManager().getCurrentWorkspace();
        for (int l = c.nLayers() - 1; l >= 0; l--) {
            LlamaModel.LayerCache cache = fwd.layers().get(l);
            try (MemoryWorkspace inner = Workspaces.layer()) {
                LlamaModel.LayerCache k = cache;
                if (cache.isInputOnly()) {
                    // the recomputed forward's temporaries die with the part; only the cache moves to the block's workspace
                    try (MemoryWorkspace part = Workspaces.part()) {
                        k = model.recompute(l, B, T, cache.x(), fwd.rope(), fwd.mask()).keptIn(inner);
                    }
                }
                // into the one buffer every layer's gradient passes through (keeping each in the bump-allocated
                // outer workspace would hold all of them until the micro-batch ends: 8 MiB a layer at 7B)
                dh.assign(blockBackward(model, l, B, T, k, fwd.rope(), dh, sink));
            }
        }

        // forward: h = Embed[tokens] → scatter-add rows
        INDArray dEmb = sink.gradient("model.embed_tokens.weight");
        if (dEmb != null) {
            int row = 0;
            for (int[] seq : tokens) {
                for (int id : seq) {
                    INDArray r = dEmb.getRow(id);
                    r.addi(dh.getRow(row++).castTo(dEmb.dataType()));
                }
            }
        }
    }

    private static INDArray blockBackward(LlamaModel model, int l, int B, int T, LlamaModel.LayerCache k, Rope rope, INDArray dOut, GradientSink sink) {
        LlamaConfig c = model.config();
        LlamaWeights.Layer w = model.weights().layers().get(l);
        String prefix = "model.layers." + l + ".";
        Linear q = model.linear(l, Projection.Q), kp = model.linear(l, Projection.K), v = model.linear(l, Projection.V);
        Linear o = model.linear(l, Projection.O), gate = model.linear(l, Projection.GATE);
        Linear up = model.linear(l, Projection.UP), down = model.linear(l, Projection.DOWN);

        MemoryWorkspace block = Nd4j.getMemoryManager().getCurrentWorkspace();
        INDArray dxMid;
        try (MemoryWorkspace part = Workspaces.part()) { // the feed-forward half: its temporaries die here
            dxMid = Workspaces.keep(ffnBackward(c, l, w, prefix, down, gate, up, k, dOut, sink), block);
        }
        try (MemoryWorkspace part = Workspaces.part()) { // the attention half
            return Workspaces.keep(attentionBackward(c, l, B, T, w, prefix, q, kp, v, o, k, rope, dxMid, sink), block);
        }
    }

    private static INDArray ffnBackward(LlamaConfig c, int l, LlamaWeights.Layer w, String prefix, Linear down, Linear gate, Linear up,
                                        LlamaModel.LayerCache k, INDArray dOut, GradientSink sink) {
        // forward: out = down(act) + xMid
        biasGradient(c, l, Projection.DOWN, dOut, sink);
        INDArray dAct = down.backward(k.act(), dOut);
        // forward: act = silu(gate) ⊙ up
        INDArray[] dGateUp = SwiGlu.backward(dAct, k.gate(), k.up());
        // forward: gate = Wgate·xnFfn (+ b), up = Wup·xnFfn (+ b)
        biasGradient(c, l, Projection.GATE, dGateUp[0], sink);
        biasGradient(c, l, Projection.UP, dGateUp[1], sink);
        INDArray dxnFfn = gate.backward(k.xnFfn(), dGateUp[0]).addi(up.backward(k.xnFfn(), dGateUp[1]));
        // forward: xnFfn = RMSNorm(xMid)
        return RmsNorm.backward(dxnFfn, k.xMid(), k.rstdFfn(), w.ffnNorm(), sink.gradient(prefix + "post_attention_layernorm.weight"))
                .addi(dOut);
    }

    private static INDArray attentionBackward(LlamaConfig c, int l, int B, int T, LlamaWeights.Layer w, String prefix, Linear q, Linear kp, Linear v,
                                              Linear o, LlamaModel.LayerCache k, Rope rope, INDArray dxMid, GradientSink sink) {
        // forward: xMid = o(attnOut) (+ b) + x
        biasGradient(c, l, Projection.O, dxMid, sink);
        INDArray dAttn = o.backward(k.attnOut(), dxMid);
        INDArray[] dqkv = CausalAttention.backward(c, B, T, dAttn, rope, k.attention());
        // forward: q = Wq·xnAttn + bq (likewise k, v): db = Σ_rows dq
        biasGradient(c, l, Projection.Q, dqkv[0], sink);
        biasGradient(c, l, Projection.K, dqkv[1], sink);
        biasGradient(c, l, Projection.V, dqkv[2], sink);
        INDArray dxnAttn = q.backward(k.xnAttn(), dqkv[0]).addi(kp.backward(k.xnAttn(), dqkv[1])).addi(v.backward(k.xnAttn(), dqkv[2]));
        // forward: xnAttn = RMSNorm(x)
        return RmsNorm.backward(dxnAttn, k.x(), k.rstdAttn(), w.attnNorm(), sink.gradient(prefix + "input_layernorm.weight"))
                .addi(dxMid);
    }

    /** forward: y = Linear(x) + b → db += Σ_rows dy, when the projection has a bias and the sink trains it. */
    private static void biasGradient(LlamaConfig c, int l, Projection p, INDArray dy, GradientSink sink) {
        if (!c.hasBias(p)) return;
        INDArray db = sink.gradient(p.hfBiasName(l));
        if (db != null) db.addi(dy.sum(0).castTo(db.dataType()));
    }

    /** Convenience for full fine-tuning and tests: a sink that hands out zeroed buffers for the named tensors. */
    public static GradientSink buffers(Map<String, INDArray> grads) {
        return grads::get;
    }

}
