package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.GgmlType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** llama-quantize's type mixing (REFERENCE.md B.12, src/llama-quant.cpp) on llama-shaped tensor lists. */
class QuantPresetTest {
    private static final GgmlType Q4_K = GgmlType.Q4_K, Q5_K = GgmlType.Q5_K, Q6_K = GgmlType.Q6_K, Q3_K = GgmlType.Q3_K;

    /** A llama tensor list in llama-quantize's order: non-layer tensors by name, then each layer's by name. */
    private static Map<String, long[]> llama(int layers, int embd, int ff, boolean tied) {
        Map<String, long[]> t = new LinkedHashMap<>();
        if (!tied) t.put("output.weight", new long[] {embd, 32000});
        t.put("output_norm.weight", new long[] {embd});
        t.put("token_embd.weight", new long[] {embd, 32000});
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            t.put(p + "attn_k.weight", new long[] {embd, embd / 4});
            t.put(p + "attn_norm.weight", new long[] {embd});
            t.put(p + "attn_output.weight", new long[] {embd, embd});
            t.put(p + "attn_q.weight", new long[] {embd, embd});
            t.put(p + "attn_v.weight", new long[] {embd, embd / 4});
            t.put(p + "ffn_down.weight", new long[] {ff, embd});
            t.put(p + "ffn_gate.weight", new long[] {embd, ff});
            t.put(p + "ffn_norm.weight", new long[] {embd});
            t.put(p + "ffn_up.weight", new long[] {embd, ff});
        }
        return t;
    }

    private static Map<String, GgmlType> types(QuantPreset p, Map<String, long[]> tensors, int layers, int heads, int kvHeads) {
        LayerCounts c = LayerCounts.of(tensors.keySet(), layers, heads, kvHeads);
        Map<String, GgmlType> out = new LinkedHashMap<>();
        tensors.forEach((name, ne) -> out.put(name, p.typeFor(name, ne, c)));
        return out;
    }

    /** The layers whose tensor of this kind got the type. */
    private static Set<Integer> layersWith(Map<String, GgmlType> types, String kind, GgmlType type) {
        Set<Integer> s = new TreeSet<>();
        types.forEach((name, t) -> {
            if (name.endsWith(kind + ".weight") && t == type) s.add(Integer.parseInt(name.split("\\.")[1]));
        });
        return s;
    }

    private static Set<Integer> range(int from, int to) {
        Set<Integer> s = new TreeSet<>();
        for (int i = from; i < to; i++) s.add(i);
        return s;
    }

    @Test
    void useMoreBitsPicksTheFirstAndLastEighthAndEveryThirdLayer() {
        Map<Integer, Set<Integer>> expected = Map.of(
                32, Set.of(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31),
                22, Set.of(0, 1, 4, 7, 10, 13, 16, 19, 20, 21),
                16, Set.of(0, 1, 4, 7, 10, 13, 14, 15));
        expected.forEach((n, set) -> {
            Set<Integer> got = new TreeSet<>();
            for (int i = 0; i < n; i++) if (QuantPreset.useMoreBits(i, n)) got.add(i);
            assertEquals(new TreeSet<>(set), got, "n = " + n);
        });
    }

    @Test
    void q4KMOnA32LayerGqaModel() {
        Map<String, GgmlType> t = types(QuantPreset.Q4_K_M, llama(32, 4096, 11008, false), 32, 32, 8);
        Set<Integer> more = Set.of(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31);
        assertEquals(more, layersWith(t, "attn_v", Q6_K));
        assertEquals(more, layersWith(t, "ffn_down", Q6_K));
        Set<Integer> rest = range(0, 32);
        rest.removeAll(more);
        assertEquals(rest, layersWith(t, "attn_v", Q4_K));
        assertEquals(rest, layersWith(t, "ffn_down", Q4_K));
        for (String kind : List.of("attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up")) assertEquals(range(0, 32), layersWith(t, kind, Q4_K), kind);
        assertEquals(Q6_K, t.get("output.weight"));
        assertEquals(Q4_K, t.get("token_embd.weight"), "untied token_embd keeps the default type");
        assertNull(t.get("output_norm.weight"));
        assertNull(t.get("blk.7.ffn_norm.weight"));
    }

    @Test
    void otherKQuantMixes() {
        Map<String, long[]> model = llama(32, 4096, 11008, false);
        Map<String, GgmlType> s = types(QuantPreset.Q4_K_S, model, 32, 32, 8);
        assertEquals(range(0, 4), layersWith(s, "attn_v", Q5_K));
        assertEquals(range(0, 4), layersWith(s, "ffn_down", Q5_K));
        assertEquals(range(4, 32), layersWith(s, "ffn_down", Q4_K));

        Map<String, GgmlType> m3 = types(QuantPreset.Q3_K_M, model, 32, 32, 8);
        assertEquals(range(0, 2), layersWith(m3, "attn_v", Q5_K));
        assertEquals(range(2, 32), layersWith(m3, "attn_v", Q4_K));
        assertEquals(range(0, 2), layersWith(m3, "ffn_down", Q5_K));
        assertEquals(range(2, 32), layersWith(m3, "ffn_down", Q4_K));
        assertEquals(range(0, 32), layersWith(m3, "attn_output", Q4_K));
        assertEquals(range(0, 32), layersWith(m3, "attn_q", Q3_K));

        Map<String, GgmlType> s3 = types(QuantPreset.Q3_K_S, model, 32, 32, 8);
        for (String kind : List.of("attn_v", "ffn_down", "attn_output", "attn_q")) assertEquals(range(0, 32), layersWith(s3, kind, Q3_K), kind);

        Map<String, GgmlType> l3 = types(QuantPreset.Q3_K_L, model, 32, 32, 8);
        for (String kind : List.of("attn_v", "ffn_down", "attn_output")) assertEquals(range(0, 32), layersWith(l3, kind, Q5_K), kind);

        Map<String, GgmlType> m5 = types(QuantPreset.Q5_K_M, model, 32, 32, 8);
        assertEquals(Set.of(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31), layersWith(m5, "ffn_down", Q6_K));
        assertEquals(range(0, 32), layersWith(m5, "attn_q", Q5_K));
        assertEquals(range(0, 32), layersWith(types(QuantPreset.Q5_K_S, model, 32, 32, 8), "attn_v", Q5_K));

        Map<String, GgmlType> q2 = types(QuantPreset.Q2_K, model, 32, 32, 8);
        assertEquals(range(0, 32), layersWith(q2, "attn_v", Q4_K), "n_head/n_head_kv = 4: attn_v gets Q4_K");
        assertEquals(range(0, 32), layersWith(q2, "ffn_down", Q3_K));
        assertEquals(range(0, 32), layersWith(q2, "attn_output", Q3_K));
        assertEquals(range(0, 32), layersWith(q2, "attn_q", GgmlType.Q2_K));
        assertEquals(range(0, 32), layersWith(types(QuantPreset.Q2_K, model, 32, 32, 16), "attn_v", Q3_K), "n_gqa 2: Q3_K");
    }

    @Test
    void seventyBBumpsAttnVOnlyWithGqa() {
        Map<String, long[]> model = llama(80, 8192, 28672, false);
        Map<String, GgmlType> gqa = types(QuantPreset.Q3_K_M, model, 80, 64, 8);
        assertEquals(range(0, 80), layersWith(gqa, "attn_v", Q5_K), "70B: Q4_K attn_v becomes Q5_K");
        Map<String, GgmlType> mha = types(QuantPreset.Q3_K_M, model, 80, 64, 64);
        assertEquals(range(2, 80), layersWith(mha, "attn_v", Q4_K), "65B (no GQA) is not bumped");
        Map<String, GgmlType> km = types(QuantPreset.Q4_K_M, model, 80, 64, 8);
        assertEquals(layersWith(km, "attn_v", Q6_K).size() + layersWith(km, "attn_v", Q5_K).size(), 80);
        assertTrue(layersWith(km, "attn_v", Q4_K).isEmpty());
    }

    @Test
    void outputAndTiedEmbeddings() {
        Map<String, long[]> tied = llama(4, 4096, 11008, true);
        assertEquals(Q6_K, types(QuantPreset.Q4_K_M, tied, 4, 32, 8).get("token_embd.weight"), "tied token_embd is the output");
        assertEquals(Q6_K, types(QuantPreset.Q4_0, tied, 4, 32, 8).get("token_embd.weight"), "legacy ftypes too");
        assertEquals(GgmlType.Q8_0, types(QuantPreset.Q8_0, tied, 4, 32, 8).get("token_embd.weight"));
        Map<String, GgmlType> f16 = types(QuantPreset.F16, llama(4, 4096, 11008, false), 4, 32, 8);
        f16.forEach((name, t) -> assertEquals(name.contains("norm") ? null : GgmlType.F16, t, name));
        assertEquals(GgmlType.Q4_0, types(QuantPreset.Q4_0, llama(4, 4096, 11008, false), 4, 32, 8).get("blk.0.ffn_down.weight"));
    }

    @Test
    void rowLengthsThatAreNotMultiplesOf256FallBack() {
        // stories-sized dims: 288 columns, 768 hidden
        Map<String, GgmlType> t = types(QuantPreset.Q4_K_M, llama(6, 288, 768, false), 6, 6, 6);
        assertEquals(GgmlType.Q8_0, t.get("output.weight"), "Q6_K with 288 columns falls back to Q8_0");
        assertEquals(GgmlType.Q5_0, t.get("blk.2.attn_q.weight"), "Q4_K falls back to Q5_0");
        assertEquals(Q4_K, t.get("blk.3.ffn_down.weight"), "768 columns fit Q4_K (layer 3 of 6 is not a use_more_bits layer)");
        assertEquals(Q6_K, t.get("blk.2.ffn_down.weight"), "layer 2 of 6 is");
        assertEquals(GgmlType.Q8_0, t.get("blk.5.attn_v.weight"), "use_more_bits (last layer) Q6_K falls back to Q8_0");
        assertEquals(GgmlType.Q5_0, t.get("blk.0.attn_v.weight"), "n = 6: layer 0 is not in the first eighth (6/8 = 0)");
        assertEquals(GgmlType.IQ4_NL, QuantPreset.fallback(GgmlType.Q2_K, 288), "llama.cpp c392e5094: IQ4_NL, not Q4_0");
        assertEquals(GgmlType.IQ4_NL, QuantPreset.fallback(GgmlType.Q3_K, 288));
        assertEquals(GgmlType.IQ4_NL, QuantPreset.fallback(GgmlType.IQ4_XS, 1408));
        assertEquals(GgmlType.F16, QuantPreset.fallback(GgmlType.IQ4_XS, 100));
        assertEquals(GgmlType.Q5_1, QuantPreset.fallback(GgmlType.Q5_K, 288));
        assertEquals(GgmlType.F16, QuantPreset.fallback(GgmlType.Q4_K, 100));
        assertEquals(GgmlType.F16, QuantPreset.fallback(GgmlType.Q8_0, 172), "where llama-quantize stops, lora4j writes F16");
        assertEquals(GgmlType.Q8_0, QuantPreset.fallback(GgmlType.Q8_0, 192));
    }

    @Test
    void oneDimensionalByGgmlsCountStaysAsStored() {
        LayerCounts c = new LayerCounts(1, 1, 1, 1, true);
        assertNull(QuantPreset.Q4_K_M.typeFor("blk.0.attn_q.weight", new long[] {256, 1, 1}, c), "trailing 1s do not make a 2-D tensor");
        assertNull(QuantPreset.Q4_K_M.typeFor("blk.0.attn_q.bias", new long[] {256, 256}, c), "not a weight");
        assertEquals(Q4_K, QuantPreset.Q4_K_M.typeFor("blk.0.attn_q.weight", new long[] {256, 1, 2}, c));
    }

    @Test
    void ftypeIdsAreLlamaCpps() {
        List<Integer> ids = new ArrayList<>();
        for (QuantPreset p : QuantPreset.values()) ids.add(p.ftype);
        assertEquals(List.of(0, 1, 32, 2, 3, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 25, 30), ids);
    }

    @Test
    void anImportanceMatrixChangesTheFirstFfnDownLayers() {
        Map<String, long[]> model = llama(16, 4096, 11008, false);
        for (QuantPreset p : List.of(QuantPreset.IQ4_NL, QuantPreset.IQ4_XS)) {
            Map<String, GgmlType> plain = types(p, model, 16, 32, 8);
            assertEquals(range(0, 2), layersWith(plain, "ffn_down", Q5_K), p + " without an imatrix: the first eighth gets Q5_K");
            assertEquals(range(0, 16), layersWith(plain, "attn_v", Q5_K), p + ": n_gqa 4 gives attn_v Q5_K");
            LayerCounts c = LayerCounts.of(model.keySet(), 16, 32, 8).withImatrix(true);
            model.forEach((name, ne) -> {
                if (name.contains("ffn_down")) assertEquals(p.defaultType, p.typeFor(name, ne, c), name + " with an imatrix");
                else p.typeFor(name, ne, c);
            });
        }
        for (QuantPreset p : List.of(QuantPreset.Q4_0, QuantPreset.Q5_0)) {
            GgmlType bumped = p == QuantPreset.Q4_0 ? GgmlType.Q4_1 : GgmlType.Q5_1;
            assertTrue(layersWith(types(p, model, 16, 32, 8), "ffn_down", bumped).isEmpty(), p + " without an imatrix");
            LayerCounts c = LayerCounts.of(model.keySet(), 16, 32, 8).withImatrix(true);
            Map<String, GgmlType> t = new LinkedHashMap<>();
            model.forEach((name, ne) -> t.put(name, p.typeFor(name, ne, c)));
            assertEquals(range(0, 2), layersWith(t, "ffn_down", bumped), p + " with an imatrix");
            assertEquals(range(2, 16), layersWith(t, "ffn_down", p.defaultType));
        }
    }
}
