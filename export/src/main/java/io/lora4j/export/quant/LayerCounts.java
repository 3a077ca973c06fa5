package io.lora4j.export.quant;

import java.util.Collection;

/**
 * What llama-quantize knows about a model while it picks tensor types (quantize_state_impl): layer and head counts,
 * how many attn_v tensors there are, whether an untied output.weight exists, and the running attn_v / ffn_down
 * counters. {@link QuantPreset#typeFor} advances the counters, so use one instance per file and present the tensors
 * in llama-quantize's order (non-layer tensors, then layer by layer, names sorted within a layer).
 */
public final class LayerCounts {
    final int nLayer, nHead, nHeadKv, nAttnV;
    final boolean hasOutput;
    /** llama-quantize's has_imatrix: it changes a few ffn_down choices (IQ4_NL/IQ4_XS, Q4_0/Q5_0). */
    boolean hasImatrix;
    int iAttnV, iFfnDown;

    /** nAttnV: the number of tensors whose name contains "attn_v.weight" or "attn_qkv.weight" (n_layer for a llama model). */
    public LayerCounts(int nLayer, int nHead, int nHeadKv, int nAttnV, boolean hasOutput) {
        if (nLayer < 0 || nHead < 1 || nHeadKv < 1 || nAttnV < 0) {
            throw new IllegalArgumentException("bad model counts: n_layer " + nLayer + ", n_head " + nHead + ", n_head_kv " + nHeadKv + ", attn_v tensors " + nAttnV);
        }
        this.nLayer = nLayer;
        this.nHead = nHead;
        this.nHeadKv = nHeadKv;
        this.nAttnV = nAttnV;
        this.hasOutput = hasOutput;
    }

    /** Counts from the model's tensor names, as llama-quantize does before it starts. */
    public static LayerCounts of(Collection<String> tensorNames, int nLayer, int nHead, int nHeadKv) {
        int attnV = 0;
        boolean output = false;
        for (String n : tensorNames) {
            if (n.contains("attn_v.weight") || n.contains("attn_qkv.weight") || n.contains("attn_kv_b.weight")) attnV++;
            if (n.equals("output.weight")) output = true;
        }
        return new LayerCounts(nLayer, nHead, nHeadKv, attnV, output);
    }

    /** Marks that the file is quantized with an importance matrix (llama-quantize --imatrix); returns this. */
    public LayerCounts withImatrix(boolean on) {
        hasImatrix = on;
        return this;
    }

    /** hparams.n_gqa(): query heads per KV head. */
    int gqa() {
        return nHead / nHeadKv;
    }

    /** llama.cpp's LLM_TYPE_70B for the llama architecture: 80 layers with grouped-query attention. */
    boolean is70B() {
        return nLayer == 80 && nHead != nHeadKv;
    }
}
