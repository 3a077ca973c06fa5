package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Every backward against central finite differences in float64 (relative error below 1e-4 is the bar). */
class BackwardGradCheckTest {
    private static final double TOL = 1e-4;

    @BeforeAll
    static void seed() {
        Nd4j.getRandom().setSeed(42);
    }

    private static INDArray rand(long... shape) {
        return Nd4j.randn(DataType.DOUBLE, shape);
    }

    /** loss = Σ out ⊙ R for a fixed random R, so d loss / d out = R. */
    private static double dot(INDArray out, INDArray r) {
        return out.mul(r).sumNumber().doubleValue();
    }

    @Test
    void rmsNorm() {
        INDArray x = rand(5, 8), w = rand(8), r = rand(5, 8);
        INDArray dw = Nd4j.zeros(DataType.DOUBLE, 8);
        INDArray dx = RmsNorm.backward(r, x, RmsNorm.rstd(x, 1e-5f), w, dw);
        java.util.function.DoubleSupplier loss = () -> dot(RmsNorm.forward(x, RmsNorm.rstd(x, 1e-5f), w), r);
        assertTrue(GradCheck.maxRelativeError(x, dx, loss, 40, 1) < TOL);
        assertTrue(GradCheck.maxRelativeError(w, dw, loss, 8, 2) < TOL);
    }

    @Test
    void rope() {
        Rope rope = Rope.forPositions(0, 6, 8, 10000f);
        INDArray x = rand(2, 6, 3, 8), r = rand(2, 6, 3, 8);
        INDArray dx = rope.backward(r);
        assertTrue(GradCheck.maxRelativeError(x, dx, () -> dot(rope.forward(x), r), 60, 3) < TOL);
    }

    @Test
    void swiGlu() {
        INDArray g = rand(4, 6), u = rand(4, 6), r = rand(4, 6);
        INDArray[] d = SwiGlu.backward(r, g, u);
        assertTrue(GradCheck.maxRelativeError(g, d[0], () -> dot(SwiGlu.forward(g, u), r), 24, 4) < TOL);
        assertTrue(GradCheck.maxRelativeError(u, d[1], () -> dot(SwiGlu.forward(g, u), r), 24, 5) < TOL);
    }

    @Test
    void groupedQueryCausalAttention() {
        LlamaConfig c = TinyModels.config(1, false); // H 4, Hkv 2, hd 4
        int B = 2, T = 5;
        Rope rope = Rope.forPositions(0, T, c.headDim(), c.ropeTheta());
        INDArray q = rand(B * T, c.qDim()), k = rand(B * T, c.kvDim()), v = rand(B * T, c.kvDim()), r = rand(B * T, c.qDim());
        CausalAttention.Cache[] cache = new CausalAttention.Cache[1];
        CausalAttention.forward(c, B, T, q, k, v, rope, false, cache);
        INDArray[] d = CausalAttention.backward(c, B, T, r, rope, cache[0]);
        java.util.function.DoubleSupplier loss = () -> dot(CausalAttention.forward(c, B, T, q, k, v, rope, false, null), r);
        assertTrue(GradCheck.maxRelativeError(q, d[0], loss, 60, 6) < TOL, "dq");
        assertTrue(GradCheck.maxRelativeError(k, d[1], loss, 40, 7) < TOL, "dk");
        assertTrue(GradCheck.maxRelativeError(v, d[2], loss, 40, 8) < TOL, "dv");
    }

    @Test
    void crossEntropyIgnoresMaskedLabels() {
        INDArray logits = rand(6, 7);
        int[][] labels = {{3, -100, 5}, {1, 2, -100}};
        CausalLmLoss.Result res = CausalLmLoss.compute(logits, labels, true);
        assertEquals(2, res.count()); // targets at (0,1)→-100, (0,2)→5, (1,1)→2, (1,2)→-100
        assertTrue(GradCheck.maxRelativeError(logits, res.dLogits(), () -> CausalLmLoss.compute(logits, labels, false).loss(), 42, 9) < TOL);
        // rows whose target is ignored get no gradient
        assertEquals(0.0, res.dLogits().getRow(0).sumNumber().doubleValue(), 0.0);
        assertEquals(0.0, res.dLogits().getRow(0).norm2Number().doubleValue(), 0.0);
    }

    /** A projection whose weight is trainable: dW += dyᵀ·x (used to check the whole model in full fine-tuning). */
    static final class TrainableLinear implements Linear {
        final FrozenLinear base;
        final INDArray grad;

        TrainableLinear(FrozenLinear base) {
            this.base = base;
            this.grad = Nd4j.zeros(base.weight().dataType(), base.weight().shape());
        }

        public int inFeatures() { return base.inFeatures(); }
        public int outFeatures() { return base.outFeatures(); }
        public INDArray forward(INDArray x) { return base.forward(x); }
        public INDArray backward(INDArray x, INDArray dy) {
            grad.addi(dy.transpose().mmul(x));
            return base.backward(x, dy);
        }
    }

    @Test
    void wholeTwoLayerModelInFullFineTuning() throws Exception {
        for (boolean tied : new boolean[] {false, true}) {
            LlamaConfig c = TinyModels.config(2, tied);
            List<TrainableLinear> linears = new ArrayList<>();
            LlamaModel model = TinyModels.model(c, 11, DataType.DOUBLE, (l, p, base) -> {
                TrainableLinear t = new TrainableLinear(base);
                linears.add(t);
                return t;
            });
            int[][] tokens = TinyModels.tokens(c, 2, 6, 12);
            int[][] labels = {tokens[0].clone(), tokens[1].clone()};
            labels[0][1] = labels[0][2] = CausalLmLoss.IGNORE; // a masked prompt

            Map<String, INDArray> params = new HashMap<>(), grads = new HashMap<>();
            LlamaWeights w = model.weights();
            params.put("model.embed_tokens.weight", w.tokenEmbedding());
            params.put("model.norm.weight", w.outputNorm());
            params.put("model.layers.1.input_layernorm.weight", w.layers().get(1).attnNorm());
            params.put("model.layers.0.post_attention_layernorm.weight", w.layers().get(0).ffnNorm());
            if (!tied) params.put("lm_head.weight", w.output());
            params.forEach((k, v) -> grads.put(k, Nd4j.zeros(v.dataType(), v.shape())));

            LlamaModel.Forward fwd = model.forward(tokens, true);
            CausalLmLoss.Result res = CausalLmLoss.compute(fwd.logits(), labels, true);
            LlamaBackward.backward(model, fwd, tokens, res.dLogits(), LlamaBackward.buffers(grads));

            java.util.function.DoubleSupplier loss = () -> CausalLmLoss.compute(model.logits(tokens), labels, false).loss();
            for (String name : params.keySet()) {
                double err = GradCheck.maxRelativeError(params.get(name), grads.get(name), loss, 25, name.hashCode());
                assertTrue(err < TOL, name + " (tied=" + tied + "): relative error " + err);
            }
            for (int i = 0; i < linears.size(); i++) {
                TrainableLinear t = linears.get(i);
                double err = GradCheck.maxRelativeError(t.base.weight(), t.grad, loss, 12, i);
                assertTrue(err < TOL, "projection " + i + " (tied=" + tied + "): relative error " + err);
            }
        }
    }

    @Test
    void recomputationGivesTheSameGradients() throws Exception {
        LlamaConfig c = TinyModels.config(3, false);
        int[][] tokens = TinyModels.tokens(c, 2, 7, 5);
        double[][] grads = new double[2][];
        for (int mode = 0; mode < 2; mode++) {
            List<TrainableLinear> linears = new ArrayList<>();
            LlamaModel model = TinyModels.model(c, 13, DataType.DOUBLE, (l, p, base) -> {
                TrainableLinear t = new TrainableLinear(base);
                linears.add(t);
                return t;
            });
            LlamaModel.Forward fwd = model.forward(tokens, true, mode == 1);
            CausalLmLoss.Result res = CausalLmLoss.compute(fwd.logits(), tokens, true);
            LlamaBackward.backward(model, fwd, tokens, res.dLogits(), GradientSink.FROZEN);
            grads[mode] = linears.stream().flatMapToDouble(t -> java.util.Arrays.stream(t.grad.reshape(t.grad.length()).toDoubleVector())).toArray();
        }
        assertArrayEquals(grads[0], grads[1], 0.0, "recomputed activations must be bitwise the same");
    }
}
