package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;

/**
 * llama-quantize's file types (llama_ftype) and their tensor-type mixing for the llama architecture without an
 * importance matrix (src/llama-quant.cpp llama_tensor_get_type; REFERENCE.md B.12).
 */
public enum QuantPreset {
    F32(0, GgmlType.F32), F16(1, GgmlType.F16), BF16(32, GgmlType.BF16),
    Q4_0(2, GgmlType.Q4_0), Q4_1(3, GgmlType.Q4_1), Q8_0(7, GgmlType.Q8_0), Q5_0(8, GgmlType.Q5_0), Q5_1(9, GgmlType.Q5_1),
    Q2_K(10, GgmlType.Q2_K), Q3_K_S(11, GgmlType.Q3_K), Q3_K_M(12, GgmlType.Q3_K), Q3_K_L(13, GgmlType.Q3_K),
    Q4_K_S(14, GgmlType.Q4_K), Q4_K_M(15, GgmlType.Q4_K), Q5_K_S(16, GgmlType.Q5_K), Q5_K_M(17, GgmlType.Q5_K), Q6_K(18, GgmlType.Q6_K);

    /** general.file_type */
    public final int ftype;
    public final GgmlType defaultType;

    QuantPreset(int ftype, GgmlType defaultType) {
        this.ftype = ftype;
        this.defaultType = defaultType;
    }

    public static QuantPreset parse(String name) {
        for (QuantPreset p : values()) if (p.name().equalsIgnoreCase(name)) return p;
        throw new IllegalArgumentException("unknown type '" + name + "', expected one of " + java.util.Arrays.toString(values()));
    }

    /** Counters over the tensors in llama-quantize's order (layer-major), for the use_more_bits rules. */
    public static final class Counters {
        int attnV, ffnDown;
        final int nAttnV, nFfnDown, nHead, nHeadKv;
        final boolean hasOutput;

        public Counters(int nLayers, int nHead, int nHeadKv, boolean hasOutput) {
            this.nAttnV = nLayers;
            this.nFfnDown = nLayers;
            this.nHead = nHead;
            this.nHeadKv = nHeadKv;
            this.hasOutput = hasOutput;
        }
    }

    static boolean useMoreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    /**
     * The type a tensor gets (advancing the counters, so call once per tensor in file order), or null when it stays
     * as it is (1-D tensors, norms, non-weights).
     */
    public GgmlType typeFor(String name, long[] ne, Counters c) {
        if (ne.length < 2 || !name.endsWith("weight") || name.contains("_norm.weight")) return null;
        if (this == F32 || this == F16 || this == BF16) return defaultType;
        GgmlType t = defaultType;
        boolean isOutput = name.equals("output.weight") || (!c.hasOutput && name.equals("token_embd.weight"));
        if (isOutput) {
            if (ne[0] % 256 != 0) t = GgmlType.Q8_0;
            else if (t != GgmlType.Q8_0) t = GgmlType.Q6_K;
        } else if (name.contains("attn_v.weight")) {
            int i = c.attnV++;
            if (this == Q2_K) t = c.nHead / c.nHeadKv >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
            else if (this == Q3_K_M) t = i < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
            else if (this == Q3_K_L) t = GgmlType.Q5_K;
            else if ((this == Q4_K_M || this == Q5_K_M) && useMoreBits(i, c.nAttnV)) t = GgmlType.Q6_K;
            else if (this == Q4_K_S && i < 4) t = GgmlType.Q5_K;
        } else if (name.contains("ffn_down")) {
            int i = c.ffnDown++, n = c.nFfnDown;
            if (this == Q2_K) t = GgmlType.Q3_K;
            else if (this == Q3_K_S) { if (i < n / 8) t = GgmlType.Q4_K; }
            else if (this == Q3_K_M) t = i < n / 16 ? GgmlType.Q5_K : GgmlType.Q4_K;
            else if (this == Q3_K_L) t = GgmlType.Q5_K;
            else if ((this == Q4_K_M || this == Q5_K_M) && useMoreBits(i, n)) t = GgmlType.Q6_K;
            else if (this == Q4_K_S && i < n / 8) t = GgmlType.Q5_K;
        } else if (name.contains("attn_output.weight")) {
            if (this == Q2_K) t = GgmlType.Q3_K;
            else if (this == Q3_K_M) t = GgmlType.Q4_K;
            else if (this == Q3_K_L) t = GgmlType.Q5_K;
        }
        return fallback(t, ne[0]);
    }

    /** llama-quantize's substitutes when a row length is not a multiple of the block size. */
    static GgmlType fallback(GgmlType t, long rowLen) {
        if (rowLen % t.blockSize == 0) return t;
        GgmlType f = switch (t) {
            case Q2_K, Q3_K -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> t;
        };
        return rowLen % f.blockSize == 0 ? f : GgmlType.F16;
    }
}
