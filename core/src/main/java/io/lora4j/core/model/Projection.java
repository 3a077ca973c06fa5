package io.lora4j.core.model;

/**
 * The seven linear projections of a LLaMA block, with their Hugging Face and GGUF names.
 * The LoRA module targets them by {@link #hfName}.
 */
public enum Projection {
    Q("q_proj", "self_attn", "attn_q"),
    K("k_proj", "self_attn", "attn_k"),
    V("v_proj", "self_attn", "attn_v"),
    O("o_proj", "self_attn", "attn_output"),
    GATE("gate_proj", "mlp", "ffn_gate"),
    UP("up_proj", "mlp", "ffn_up"),
    DOWN("down_proj", "mlp", "ffn_down");

    public final String hfName;
    public final String hfParent;
    public final String ggufName;

    Projection(String hfName, String hfParent, String ggufName) {
        this.hfName = hfName;
        this.hfParent = hfParent;
        this.ggufName = ggufName;
    }

    /** e.g. {@code model.layers.3.self_attn.q_proj.weight}. */
    public String hfWeightName(int layer) {
        return "model.layers." + layer + "." + hfParent + "." + hfName + ".weight";
    }

    /** e.g. {@code model.layers.3.self_attn.q_proj.bias}. */
    public String hfBiasName(int layer) {
        return "model.layers." + layer + "." + hfParent + "." + hfName + ".bias";
    }

    /** e.g. {@code blk.3.attn_q.weight}. */
    public String ggufWeightName(int layer) {
        return "blk." + layer + "." + ggufName + ".weight";
    }

    public static Projection fromHfName(String name) {
        for (Projection p : values()) {
            if (p.hfName.equals(name)) return p;
        }
        throw new IllegalArgumentException("unknown projection '" + name + "', expected one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj");
    }

    public static Projection fromGgufName(String name) {
        for (Projection p : values()) {
            if (p.ggufName.equals(name)) return p;
        }
        throw new IllegalArgumentException("unknown projection '" + name + "', expected one of attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down");
    }

    /** Output width of this projection for a given config. */
    public int outFeatures(LlamaConfig c) {
        return switch (this) {
            case Q -> c.qDim();
            case K, V -> c.kvDim();
            case O, DOWN -> c.dim();
            case GATE, UP -> c.hiddenDim();
        };
    }

    /** Input width of this projection for a given config. */
    public int inFeatures(LlamaConfig c) {
        return switch (this) {
            case O -> c.qDim();
            case DOWN -> c.hiddenDim();
            default -> c.dim();
        };
    }
}
