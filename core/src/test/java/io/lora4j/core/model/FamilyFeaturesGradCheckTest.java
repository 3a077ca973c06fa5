package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The pieces the Llama-3 / Qwen2 / Mistral support added, against float64 central finite differences (relative
 * error below 1e-4, as {@link BackwardGradCheckTest}): projection biases on the path, Llama-3.1 RoPE scaling,
 * tied embeddings (input and output contributions), the sliding-window mask; plus the window's semantics.
 */
class FamilyFeaturesGradCheckTest {
    private static final double TOL = 1e-4;

    @BeforeAll
    static void seed() {
        Nd4j.getRandom().setSeed(43);
    }

    @Test
    void llama3FactorsFollowTheScalingRule() {
        // hd 8, θ 10000 → wavelengths 2π·10000^(i/4): 6.3, 63, 628, 6283; original 1024, low 1, high 4 → band [256, 1024]
        RopeScaling rs = RopeScaling.llama3(8f, 1f, 4f, 1024, 8, 10000f);
        float[] ff = rs.freqFactors();
        assertEquals(1f, ff[0]);
        assertEquals(1f, ff[1]);
        double wavelen = 2 * Math.PI * Math.pow(10000, 0.5), smooth = (1024 / wavelen - 1) / 3;
        assertEquals(1 / ((1 - smooth) / 8 + smooth), ff[2], 1e-5);
        assertEquals(8f, ff[3]);
        // the angle of pair i at position p is p·θ^(−2i/hd)/ff[i]
        Rope r = Rope.forPositions(0, 10, 8, 10000f, rs);
        INDArray x = Nd4j.zeros(DataType.DOUBLE, 1, 10, 1, 8);
        x.putScalar(new long[] {0, 9, 0, 3}, 1.0); // first half, pair 3
        double angle = 9 * Math.pow(10000, -6.0 / 8) / 8;
        assertEquals(Math.cos(angle), r.forward(x).getDouble(0, 9, 0, 3), 1e-6);
        assertEquals(Math.sin(angle), r.forward(x).getDouble(0, 9, 0, 7), 1e-6);
    }

    @Test
    void scaledRopeBackward() {
        Rope rope = Rope.forPositions(3, 6, 8, 10000f, RopeScaling.llama3(8f, 1f, 4f, 1024, 8, 10000f));
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 6, 3, 8), r = Nd4j.randn(DataType.DOUBLE, 2, 6, 3, 8);
        INDArray dx = rope.backward(r);
        assertTrue(GradCheck.maxRelativeError(x, dx, () -> rope.forward(x).mul(r).sumNumber().doubleValue(), 60, 3) < TOL);
    }

    @Test
    void slidingWindowAttentionBackward() {
        LlamaConfig c = TinyModels.familyConfig(1, false, Set.of(), false, 2);
        int B = 2, T = 6;
        Rope rope = Rope.forPositions(0, T, c);
        INDArray q = Nd4j.randn(DataType.DOUBLE, B * T, c.qDim()), k = Nd4j.randn(DataType.DOUBLE, B * T, c.kvDim());
        INDArray v = Nd4j.randn(DataType.DOUBLE, B * T, c.kvDim()), r = Nd4j.randn(DataType.DOUBLE, B * T, c.qDim());
        CausalAttention.Cache[] cache = new CausalAttention.Cache[1];
        CausalAttention.forward(c, B, T, q, k, v, rope, false, cache);
        INDArray[] d = CausalAttention.backward(c, B, T, r, rope, cache[0]);
        java.util.function.DoubleSupplier loss = () -> CausalAttention.forward(c, B, T, q, k, v, rope, false, null).mul(r).sumNumber().doubleValue();
        assertTrue(GradCheck.maxRelativeError(q, d[0], loss, 60, 6) < TOL, "dq");
        assertTrue(GradCheck.maxRelativeError(k, d[1], loss, 40, 7) < TOL, "dk");
        assertTrue(GradCheck.maxRelativeError(v, d[2], loss, 40, 8) < TOL, "dv");
    }

    /**
     * One layer with window W: position t sees tokens t−W+1 … t only, and RoPE is relative, so its logits equal the
     * last logits of those W tokens run alone without a window. The incremental (KV-cache) path agrees too.
     */
    @Test
    void slidingWindowSeesExactlyTheLastWPositions() throws Exception {
        int W = 3, T = 9;
        LlamaConfig windowed = TinyModels.familyConfig(1, false, Set.of(), false, W);
        LlamaConfig full = TinyModels.familyConfig(1, false, Set.of(), false, 0);
        LlamaModel mw = TinyModels.model(windowed, 31, DataType.DOUBLE, LinearFactory.FROZEN);
        LlamaModel mf = new LlamaModel(full, mw.weights());
        int[] ids = TinyModels.tokens(windowed, 1, T, 32)[0];
        double[][] got = mw.logits(new int[][] {ids}).toDoubleMatrix();
        double[][] unwindowed = mf.logits(new int[][] {ids}).toDoubleMatrix();
        for (int t = W - 1; t < T; t++) {
            double[][] alone = mf.logits(new int[][] {java.util.Arrays.copyOfRange(ids, t - W + 1, t + 1)}).toDoubleMatrix();
            assertArrayEquals(alone[W - 1], got[t], 1e-6, "position " + t); // RoPE tables are float: relative angles agree to ~1e-7
        }
        assertArrayEquals(unwindowed[W - 1], got[W - 1], 1e-12, "within the window nothing changes");
        double effect = 0;
        for (int i = 0; i < got[T - 1].length; i++) effect = Math.max(effect, Math.abs(unwindowed[T - 1][i] - got[T - 1][i]));
        assertTrue(effect > 1e-3, "beyond the window the mask must matter: " + effect);
        KvCacheSession s = new KvCacheSession(mw, T);
        for (int t = 0; t < T; t++) {
            double[] step = java.util.Arrays.stream(toDouble(s.next(ids[t]))).toArray();
            assertArrayEquals(got[t], step, 1e-5, "KV cache, position " + t);
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /**
     * Full fine-tuning of a model with biases on every projection (Qwen2 has q/k/v; LLaMA's attention_bias/mlp_bias
     * cover the rest), RoPE scaling and a window, tied and untied: every bias, the (tied) embedding and the weights
     * against finite differences.
     */
    @Test
    void wholeModelWithBiasesScaledRopeAndTiedEmbeddingsInFullFineTuning() throws Exception {
        for (boolean tied : new boolean[] {true, false}) {
            LlamaConfig c = TinyModels.familyConfig(2, tied, EnumSet.allOf(Projection.class), true, 4);
            List<BackwardGradCheckTest.TrainableLinear> linears = new ArrayList<>();
            LlamaModel model = TinyModels.model(c, 17, DataType.DOUBLE, (l, p, base) -> {
                BackwardGradCheckTest.TrainableLinear t = new BackwardGradCheckTest.TrainableLinear(base);
                linears.add(t);
                return t;
            });
            int[][] tokens = TinyModels.tokens(c, 2, 6, 18);
            int[][] labels = {tokens[0].clone(), tokens[1].clone()};
            labels[0][1] = CausalLmLoss.IGNORE;

            Map<String, INDArray> params = new HashMap<>(), grads = new HashMap<>();
            LlamaWeights w = model.weights();
            params.put("model.embed_tokens.weight", w.tokenEmbedding());
            if (!tied) params.put("lm_head.weight", w.output());
            for (int l = 0; l < c.nLayers(); l++) {
                for (Projection p : Projection.values()) params.put(p.hfBiasName(l), w.layers().get(l).b(p));
            }
            params.forEach((k, v) -> grads.put(k, Nd4j.zeros(v.dataType(), v.shape())));

            LlamaModel.Forward fwd = model.forward(tokens, true);
            CausalLmLoss.Result res = CausalLmLoss.compute(fwd.logits(), labels, true);
            LlamaBackward.backward(model, fwd, tokens, res.dLogits(), LlamaBackward.buffers(grads));

            java.util.function.DoubleSupplier loss = () -> CausalLmLoss.compute(model.logits(tokens), labels, false).loss();
            for (String name : params.keySet()) {
                assertTrue(grads.get(name).norm2Number().doubleValue() > 0, name + " got no gradient");
                double err = GradCheck.maxRelativeError(params.get(name), grads.get(name), loss, name.contains("embed") ? 40 : 12, name.hashCode());
                assertTrue(err < TOL, name + " (tied=" + tied + "): relative error " + err);
            }
            for (int i = 0; i < linears.size(); i++) {
                double err = GradCheck.maxRelativeError(linears.get(i).base.weight(), linears.get(i).grad, loss, 8, i);
                assertTrue(err < TOL, "projection " + i + " (tied=" + tied + "): relative error " + err);
            }
        }
    }

    /** The tied matrix's gradient is the sum of what it gets as input embedding and as output projection. */
    @Test
    void tiedEmbeddingGradientIsTheSumOfBothUses() throws Exception {
        LlamaConfig tied = TinyModels.familyConfig(1, true, Set.of(Projection.Q, Projection.K, Projection.V), true, 0);
        LlamaConfig untied = TinyModels.familyConfig(1, false, Set.of(Projection.Q, Projection.K, Projection.V), true, 0);
        LlamaModel mt = TinyModels.model(tied, 5, DataType.DOUBLE, LinearFactory.FROZEN);
        LlamaWeights w = mt.weights();
        // the same numbers, but the output matrix a separate copy
        LlamaModel mu = new LlamaModel(untied, new LlamaWeights(w.tokenEmbedding(), w.layers(), w.outputNorm(), w.tokenEmbedding().dup()));
        int[][] tokens = TinyModels.tokens(tied, 1, 5, 6);
        Map<String, INDArray> gt = new HashMap<>(), gu = new HashMap<>();
        gt.put("model.embed_tokens.weight", Nd4j.zeros(DataType.DOUBLE, w.tokenEmbedding().shape()));
        gu.put("model.embed_tokens.weight", Nd4j.zeros(DataType.DOUBLE, w.tokenEmbedding().shape()));
        gu.put("lm_head.weight", Nd4j.zeros(DataType.DOUBLE, w.tokenEmbedding().shape()));
        for (var pair : List.of(Map.entry(mt, gt), Map.entry(mu, gu))) {
            LlamaModel.Forward f = pair.getKey().forward(tokens, true);
            LlamaBackward.backward(pair.getKey(), f, tokens, CausalLmLoss.compute(f.logits(), tokens, true).dLogits(), LlamaBackward.buffers(pair.getValue()));
        }
        INDArray sum = gu.get("model.embed_tokens.weight").add(gu.get("lm_head.weight"));
        assertTrue(gu.get("model.embed_tokens.weight").norm2Number().doubleValue() > 0 && gu.get("lm_head.weight").norm2Number().doubleValue() > 0);
        assertEquals(0, gt.get("model.embed_tokens.weight").sub(sum).amaxNumber().doubleValue(), 1e-12);
    }

    /** Under LoRA the biases are frozen: the sink hands out nothing, and the bias values are not touched. */
    @Test
    void frozenBiasesGetNoGradientButStillShiftTheOutput() throws Exception {
        LlamaConfig c = TinyModels.familyConfig(1, true, Set.of(Projection.Q, Projection.K, Projection.V), false, 0);
        LlamaModel model = TinyModels.model(c, 9, DataType.DOUBLE, LinearFactory.FROZEN);
        int[][] tokens = TinyModels.tokens(c, 1, 4, 10);
        INDArray before = model.logits(tokens);
        List<String> asked = new ArrayList<>();
        LlamaModel.Forward f = model.forward(tokens, true);
        LlamaBackward.backward(model, f, tokens, CausalLmLoss.compute(f.logits(), tokens, true).dLogits(), name -> {
            asked.add(name);
            return null;
        });
        assertTrue(asked.contains("model.layers.0.self_attn.v_proj.bias"), "the sink decides whether a bias trains: " + asked);
        model.weights().layers().get(0).b(Projection.V).addi(1.0);
        assertTrue(model.logits(tokens).sub(before).amaxNumber().doubleValue() > 1e-3, "the v bias is on the path");
    }
}
