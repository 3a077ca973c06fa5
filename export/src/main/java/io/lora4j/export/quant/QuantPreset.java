package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;

/**
 * llama-quantize's file types (llama_ftype, written as general.file_type) and their per-tensor type mixing for the
 * llama architecture, with or without an importance matrix, without --pure or --tensor-type (src/llama-quant.cpp
 * llama_tensor_get_type at llama.cpp c392e5094; REFERENCE.md B.12). MoE (n_expert = 8) and Falcon rules are not
 * modelled, nor the IQ1/IQ2/IQ3/TQ file types.
 */
public enum QuantPreset {
    F32(0, GgmlType.F32), F16(1, GgmlType.F16), BF16(32, GgmlType.BF16),
    Q4_0(2, GgmlType.Q4_0), Q4_1(3, GgmlType.Q4_1), Q8_0(7, GgmlType.Q8_0), Q5_0(8, GgmlType.Q5_0), Q5_1(9, GgmlType.Q5_1),
    Q2_K(10, GgmlType.Q2_K), Q3_K_S(11, GgmlType.Q3_K), Q3_K_M(12, GgmlType.Q3_K), Q3_K_L(13, GgmlType.Q3_K),
    Q4_K_S(14, GgmlType.Q4_K), Q4_K_M(15, GgmlType.Q4_K), Q5_K_S(16, GgmlType.Q5_K), Q5_K_M(17, GgmlType.Q5_K), Q6_K(18, GgmlType.Q6_K),
    IQ4_NL(25, GgmlType.IQ4_NL), IQ4_XS(30, GgmlType.IQ4_XS);

    /** general.file_type (llama_ftype). */
    public final int ftype;
    /** The type of every tensor that no rule singles out. */
    public final GgmlType defaultType;

    QuantPreset(int ftype, GgmlType defaultType) {
        this.ftype = ftype;
        this.defaultType = defaultType;
    }

    public static QuantPreset parse(String name) {
        for (QuantPreset p : values()) if (p.name().equalsIgnoreCase(name)) return p;
        throw new IllegalArgumentException("unknown type '" + name + "', expected one of " + java.util.Arrays.toString(values()));
    }

    private static final String[] NEVER_QUANTIZED = {"_norm.weight", "ffn_gate_inp.weight", "ssm_conv1d.weight", "time_mix_first.weight",
            "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
            "attn_rel_b.weight"};

    /** llama-quantize's use_more_bits: the first and last eighth of the layers and every third one between. */
    static boolean useMoreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    /**
     * llama-quantize's test of which tensors it converts: 2-D and up (ggml_n_dims, so trailing 1s do not count), a
     * name ending in "weight", not a norm, an expert gate, a position/token-type embedding, a Mamba conv1d, RWKV
     * time-mix or T5 relative-position tensor.
     */
    public static boolean quantizable(String name, long[] ne) {
        int dims = 1;
        for (int i = ne.length - 1; i >= 1; i--) {
            if (ne[i] > 1) {
                dims = i + 1;
                break;
            }
        }
        if (dims < 2 || !name.endsWith("weight")) return false;
        if (name.equals("position_embd.weight") || name.equals("token_types.weight")) return false;
        for (String never : NEVER_QUANTIZED) if (name.contains(never)) return false;
        return true;
    }

    /**
     * The type this tensor gets, or null when it stays as stored (1-D tensors such as norms, and the other tensors
     * llama-quantize never converts: see {@link #quantizable}). Call once per tensor in llama-quantize's order: the
     * attn_v and ffn_down counters in {@code ctx} advance.
     */
    public GgmlType typeFor(String name, long[] ne, LayerCounts ctx) {
        if (!quantizable(name, ne)) return null;
        if (!defaultType.isQuantized()) return defaultType;
        return fallback(mixed(name, ne[0], ctx), ne[0]);
    }

    /** llama_tensor_get_type for llama and these ftypes, before the fallback for row lengths. */
    private GgmlType mixed(String name, long ncols, LayerCounts c) {
        GgmlType t = defaultType;
        if (name.equals("output.weight") || (!c.hasOutput && name.equals("token_embd.weight"))) {
            // the block size of the default type, not 256: a Q4_0 file with 288 columns first asks for Q6_K
            if (ncols % defaultType.blockSize != 0) return GgmlType.Q8_0;
            return defaultType == GgmlType.Q8_0 ? t : GgmlType.Q6_K;
        }
        if (name.equals("token_embd.weight")) return t;
        if (name.contains("attn_v.weight")) {
            int i = c.iAttnV++;
            switch (this) {
                case Q2_K -> t = c.gqa() >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
                case Q3_K_M -> t = i < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case Q3_K_L -> t = GgmlType.Q5_K;
                case IQ4_NL, IQ4_XS -> { if (c.gqa() >= 4) t = GgmlType.Q5_K; }
                case Q4_K_M, Q5_K_M -> { if (useMoreBits(i, c.nAttnV)) t = GgmlType.Q6_K; }
                case Q4_K_S -> { if (i < 4) t = GgmlType.Q5_K; }
                default -> { }
            }
            if (c.is70B() && (t == GgmlType.Q3_K || t == GgmlType.Q4_K)) t = GgmlType.Q5_K;
        } else if (name.contains("ffn_down")) {
            int i = c.iFfnDown++, n = c.nLayer;
            switch (this) {
                case Q2_K -> t = GgmlType.Q3_K;
                case Q3_K_M -> t = i < n / 16 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case Q3_K_L -> t = GgmlType.Q5_K;
                case Q4_K_M, Q5_K_M -> { if (useMoreBits(i, n)) t = GgmlType.Q6_K; }
                case Q4_K_S -> { if (i < n / 8) t = GgmlType.Q5_K; }
                // without an imatrix the first layers' ffn_down go wrong in IQ4; with one, in Q4_0/Q5_0
                case IQ4_NL, IQ4_XS -> { if (i < n / 8 && !c.hasImatrix) t = GgmlType.Q5_K; }
                case Q4_0 -> { if (i < n / 8 && c.hasImatrix) t = GgmlType.Q4_1; }
                case Q5_0 -> { if (i < n / 8 && c.hasImatrix) t = GgmlType.Q5_1; }
                default -> { }
            }
        } else if (name.contains("attn_output.weight")) {
            switch (this) {
                case Q2_K -> t = GgmlType.Q3_K;
                case Q3_K_M -> t = GgmlType.Q4_K;
                case Q3_K_L -> t = GgmlType.Q5_K;
                default -> { }
            }
        } else if (name.contains("attn_qkv.weight")) {
            switch (this) {
                case Q3_K_M, Q3_K_L -> t = GgmlType.Q4_K;
                case Q4_K_M -> t = GgmlType.Q5_K;
                case Q5_K_M -> t = GgmlType.Q6_K;
                default -> { }
            }
        }
        return t;
    }

    /**
     * llama-quantize's substitute when a row length is not a multiple of the block size: Q2_K, Q3_K and IQ4_XS
     * become IQ4_NL, Q4_K Q5_0, Q5_K Q5_1, Q6_K Q8_0, and F16 when even the substitute does not fit. For the
     * 32-element types llama-quantize has no substitute and stops ("Unsupported tensor size encountered"); lora4j
     * writes F16 instead, so that small models (e.g. 172 columns) still export: this is the one place where lora4j
     * deliberately differs.
     */
    static GgmlType fallback(GgmlType t, long ncols) {
        if (ncols % t.blockSize == 0) return t;
        GgmlType f = switch (t) {
            case Q2_K, Q3_K, IQ4_XS -> GgmlType.IQ4_NL;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> GgmlType.F16;
        };
        return ncols % f.blockSize == 0 ? f : GgmlType.F16;
    }
}
