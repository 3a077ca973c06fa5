package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Packed rows: examples that share a row neither see each other nor carry positions over, so each example's logits
 * and gradients are those it has alone; unpacked batches are unchanged.
 */
class PackedSequencesTest {

    static int[] randomIds(LlamaConfig c, int n, long seed) {
        return TinyModels.tokens(c, 1, n, seed)[0];
    }

    /** Rows of concatenated examples, right-padded with id 0 to the longest row. */
    static int[][] pack(List<List<int[]>> rows) {
        int T = 0;
        for (List<int[]> r : rows) T = Math.max(T, r.stream().mapToInt(a -> a.length).sum());
        int[][] out = new int[rows.size()][T];
        for (int b = 0; b < rows.size(); b++) {
            int at = 0;
            for (int[] e : rows.get(b)) {
                System.arraycopy(e, 0, out[b], at, e.length);
                at += e.length;
            }
        }
        return out;
    }

    static int[][] lengths(List<List<int[]>> rows) {
        return rows.stream().map(r -> r.stream().mapToInt(a -> a.length).toArray()).toArray(int[][]::new);
    }

    /** Largest |packed − alone| over every example's logits. */
    static double maxDiffToAlone(LlamaModel model, List<List<int[]>> rows, boolean withSegments) {
        int[][] tokens = pack(rows);
        int T = tokens[0].length;
        long V = model.config().vocabSize();
        Segments seg = withSegments ? Segments.ofRows(lengths(rows)) : null;
        INDArray packed = model.forward(tokens, seg, false, false).logits(); // (B·T, V)
        double worst = 0;
        for (int b = 0; b < rows.size(); b++) {
            int at = 0;
            for (int[] e : rows.get(b)) {
                INDArray alone = model.logits(new int[][] {e});
                INDArray part = packed.get(org.nd4j.linalg.indexing.NDArrayIndex.interval((long) b * T + at, (long) b * T + at + e.length),
                        org.nd4j.linalg.indexing.NDArrayIndex.all());
                assertArrayEquals(new long[] {e.length, V}, part.shape());
                worst = Math.max(worst, part.sub(alone).amaxNumber().doubleValue());
                at += e.length;
            }
        }
        return worst;
    }

    @Test
    void packedLogitsEqualEachExampleAlone() throws Exception {
        LlamaConfig c = TinyModels.config(2, false);
        LlamaModel model = TinyModels.model(c, 7, DataType.FLOAT, LinearFactory.FROZEN);
        int[] a = randomIds(c, 5, 1), b = randomIds(c, 7, 2), d = randomIds(c, 4, 3), e = randomIds(c, 9, 4);
        // row 0: three packed examples (16 tokens); row 1: one example and 7 padding tokens
        List<List<int[]>> rows = List.of(List.of(a, b, d), List.of(e));
        double packed = maxDiffToAlone(model, rows, true);
        double unsegmented = maxDiffToAlone(model, rows, false);
        System.out.printf("tiny model: packed vs alone max |Δlogit| %.3g; without segments (the old path) %.3g%n", packed, unsegmented);
        assertTrue(packed < 1e-5, "packed vs alone: " + packed);
        assertTrue(unsegmented > 1e-2, "without segments the examples see each other: " + unsegmented);
    }

    @Test
    void slidingWindowAndRopeScalingStayPerExample() throws Exception {
        LlamaConfig c = TinyModels.familyConfig(2, true, Set.of(Projection.Q, Projection.K, Projection.V), true, 3);
        LlamaModel model = TinyModels.model(c, 11, DataType.FLOAT, LinearFactory.FROZEN);
        List<List<int[]>> rows = List.of(List.of(randomIds(c, 6, 5), randomIds(c, 2, 6), randomIds(c, 8, 7)), List.of(randomIds(c, 3, 8), randomIds(c, 5, 9)));
        double packed = maxDiffToAlone(model, rows, true);
        System.out.printf("window 3, RoPE scaling, biases: packed vs alone max |Δlogit| %.3g%n", packed);
        assertTrue(packed < 1e-5, "packed vs alone: " + packed);
    }

    @Test
    void unpackedBatchesKeepThePlainPath() throws Exception {
        LlamaConfig c = TinyModels.config(1, false);
        LlamaModel model = TinyModels.model(c, 3, DataType.FLOAT, LinearFactory.FROZEN);
        int[][] tokens = TinyModels.tokens(c, 2, 6, 5);
        assertNull(Segments.ofRows(new int[][] {{6}, {4}}), "one example per row: no segments");
        assertNull(Segments.ofRows(null));
        LlamaModel.Forward f = model.forward(tokens, Segments.ofRows(new int[][] {{6}, {4}}), false, false);
        assertNull(f.mask());
        assertEquals(0.0, f.logits().sub(model.logits(tokens)).amaxNumber().doubleValue());
    }

    @Test
    void positionsAndMaskOfAPackedRow() {
        Segments s = new Segments(new int[][] {{2, 3}, {4}});
        int[][] pos = s.positions(6);
        assertArrayEquals(new int[] {0, 1, 0, 1, 2, 0}, pos[0]);
        assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1}, pos[1]);
        INDArray m = s.mask(6, 0, DataType.FLOAT);
        assertArrayEquals(new long[] {2, 1, 6, 6}, m.shape());
        // row 0, query 3 (second example's 2nd token) sees keys 2 and 3 only
        for (int k = 0; k < 6; k++) assertEquals(k == 2 || k == 3 ? 0f : CausalAttention.MASKED, m.getFloat(0, 0, 3, k), "key " + k);
        // window 2: query 4 sees keys 3 and 4
        INDArray w = s.mask(6, 2, DataType.FLOAT);
        for (int k = 0; k < 6; k++) assertEquals(k == 3 || k == 4 ? 0f : CausalAttention.MASKED, w.getFloat(0, 0, 4, k), "window key " + k);
        assertThrows(IllegalArgumentException.class, () -> new Segments(new int[][] {{4, 3}}).check(1, 6), "more tokens than the row");
        assertThrows(IllegalArgumentException.class, () -> new Segments(new int[][] {{4, 0}}).check(1, 6), "an empty example");
    }

    /** The packed attention's backward (mask, per-row RoPE) against finite differences in float64. */
    @Test
    void packedAttentionBackwardMatchesFiniteDifferences() {
        Nd4j.getRandom().setSeed(17);
        LlamaConfig c = TinyModels.config(1, false);
        int B = 2, T = 7;
        Segments seg = new Segments(new int[][] {{3, 4}, {2, 2, 1}});
        Rope rope = Rope.forPositionIds(seg.positions(T), c);
        INDArray mask = seg.mask(T, 0, DataType.DOUBLE);
        INDArray q = Nd4j.randn(DataType.DOUBLE, B * T, c.qDim()), k = Nd4j.randn(DataType.DOUBLE, B * T, c.kvDim());
        INDArray v = Nd4j.randn(DataType.DOUBLE, B * T, c.kvDim()), r = Nd4j.randn(DataType.DOUBLE, B * T, c.qDim());
        CausalAttention.Cache[] cache = new CausalAttention.Cache[1];
        CausalAttention.forward(c, B, T, q, k, v, rope, mask, false, cache);
        INDArray[] d = CausalAttention.backward(c, B, T, r, rope, cache[0]);
        java.util.function.DoubleSupplier loss = () -> CausalAttention.forward(c, B, T, q, k, v, rope, mask, false, null).mul(r).sumNumber().doubleValue();
        assertTrue(GradCheck.maxRelativeError(q, d[0], loss, 60, 1) < 1e-4, "dq");
        assertTrue(GradCheck.maxRelativeError(k, d[1], loss, 40, 2) < 1e-4, "dk");
        assertTrue(GradCheck.maxRelativeError(v, d[2], loss, 40, 3) < 1e-4, "dv");
    }

    /** Full-model parameter gradients of a packed batch = the sum of each example's alone (same sumScale), with and without recompute. */
    @Test
    void packedGradientsEqualTheSumOfEachExampleAlone() throws Exception {
        LlamaConfig c = TinyModels.config(2, false);
        LlamaModel model = TinyModels.model(c, 21, DataType.DOUBLE, LinearFactory.FROZEN);
        int[] a = randomIds(c, 5, 11), b = randomIds(c, 6, 12), d = randomIds(c, 4, 13);
        List<List<int[]>> rows = List.of(List.of(a, b), List.of(d));
        int[][] tokens = pack(rows);
        int[][] labels = new int[2][tokens[0].length];
        for (int[] row : labels) java.util.Arrays.fill(row, CausalLmLoss.IGNORE);
        // labels = ids, except each example's first position (never a target) and the padding
        int[][] la = {labelsOf(a), labelsOf(b)}, ld = {labelsOf(d)};
        System.arraycopy(la[0], 0, labels[0], 0, a.length);
        System.arraycopy(la[1], 0, labels[0], a.length, b.length);
        System.arraycopy(ld[0], 0, labels[1], 0, d.length);
        double scale = 1.0 / 12;
        for (boolean recompute : new boolean[] {false, true}) {
            java.util.Map<String, INDArray> packed = grads(model), alone = grads(model);
            LlamaModel.Forward f = model.hidden(tokens, Segments.ofRows(lengths(rows)), true, recompute);
            double packedLoss = LlamaBackward.lossAndBackward(model, f, tokens, labels, scale, LlamaBackward.buffers(packed)).loss();
            double aloneSum = 0;
            for (int[][] one : new int[][][] {{a}, {b}, {d}}) {
                int[][] lab = {labelsOf(one[0])};
                LlamaModel.Forward g = model.hidden(one, true, recompute);
                CausalLmLoss.HiddenResult res = LlamaBackward.lossAndBackward(model, g, one, lab, scale, LlamaBackward.buffers(alone));
                aloneSum += res.loss() * res.count();
            }
            assertEquals(aloneSum / (4 + 5 + 3), packedLoss, 1e-12, "mean loss over the counted tokens");
            double worst = 0;
            for (String name : packed.keySet()) {
                double scaleOf = alone.get(name).amaxNumber().doubleValue();
                worst = Math.max(worst, packed.get(name).sub(alone.get(name)).amaxNumber().doubleValue() / Math.max(scaleOf, 1e-30));
            }
            System.out.printf("full-model gradients, packed vs sum alone (recompute %s): max relative %.3g%n", recompute, worst);
            assertTrue(worst < 1e-9, "gradients: " + worst);
        }
    }

    static int[] labelsOf(int[] ids) {
        int[] l = ids.clone();
        l[0] = CausalLmLoss.IGNORE;
        return l;
    }

    static java.util.Map<String, INDArray> grads(LlamaModel m) {
        java.util.Map<String, INDArray> g = new java.util.HashMap<>();
        LlamaConfig c = m.config();
        g.put("model.embed_tokens.weight", Nd4j.zeros(DataType.DOUBLE, c.vocabSize(), c.dim()));
        g.put("lm_head.weight", Nd4j.zeros(DataType.DOUBLE, c.vocabSize(), c.dim()));
        g.put("model.norm.weight", Nd4j.zeros(DataType.DOUBLE, c.dim()));
        for (int l = 0; l < c.nLayers(); l++) {
            g.put("model.layers." + l + ".input_layernorm.weight", Nd4j.zeros(DataType.DOUBLE, c.dim()));
            g.put("model.layers." + l + ".post_attention_layernorm.weight", Nd4j.zeros(DataType.DOUBLE, c.dim()));
        }
        return g;
    }
}
