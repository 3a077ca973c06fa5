package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.compute.Workspaces;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The loss in row chunks from the final hidden state equals the loss over whole logits, value and gradients. */
class ChunkedLossTest {

    static int[][] labels(int[][] tokens) {
        int[][] l = new int[tokens.length][];
        for (int b = 0; b < tokens.length; b++) {
            l[b] = tokens[b].clone();
            for (int t = 0; t < 5; t++) l[b][t] = CausalLmLoss.IGNORE; // a prompt: the first chunks count nothing
        }
        l[1][7] = CausalLmLoss.IGNORE;
        return l;
    }

    @Test
    void chunksOfRowsGiveTheWholeLogitsLossAndGradients() throws Exception {
        LlamaConfig c = TinyModels.config(2, false);
        LlamaModel m = TinyModels.model(c, 4, DataType.FLOAT, LinearFactory.FROZEN);
        int[][] tokens = TinyModels.tokens(c, 2, 11, 3);
        int[][] labels = labels(tokens);
        LlamaModel.Forward f = m.forward(tokens, false);
        CausalLmLoss.Result whole = CausalLmLoss.compute(f.logits(), labels, true);
        INDArray dWholeW = whole.dLogits().transpose().mmul(f.xnFinal());
        INDArray dWholeX = m.outputLinear().backward(f.xnFinal(), whole.dLogits());
        for (int rows : new int[] {1, 3, 4, 22, 100}) {
            INDArray dW = Nd4j.zeros(DataType.FLOAT, c.vocabSize(), c.dim());
            CausalLmLoss.HiddenResult chunked = CausalLmLoss.fromHidden(m.outputLinear(), f.xnFinal(), labels, true, 1.0 / whole.count(), dW, rows);
            assertEquals(whole.count(), chunked.count());
            assertEquals(whole.loss(), chunked.loss(), 1e-6 * whole.loss(), "loss, chunks of " + rows);
            assertEquals(0, dWholeX.sub(chunked.dHidden()).amaxNumber().doubleValue(), 1e-6, "dxn, chunks of " + rows);
            assertEquals(0, dWholeW.sub(dW).amaxNumber().doubleValue(), 1e-6, "dWout, chunks of " + rows);
            assertTrue(dW.amaxNumber().doubleValue() > 1e-3);
        }
        CausalLmLoss.HiddenResult noGrad = CausalLmLoss.fromHidden(m.outputLinear(), f.xnFinal(), labels, false, 0, null, 4);
        assertEquals(whole.loss(), noGrad.loss(), 1e-6 * whole.loss());
        assertNull(noGrad.dHidden());
    }

    /**
     * A frozen output matrix expanded a slice of the vocabulary at a time (online log-sum-exp) gives the loss and input
     * gradient of the whole logits: in fp64 to 1e-12, and for a Q8_0 matrix held in three byte parts (slices that
     * cross parts) against its fp32 expansion.
     */
    @Test
    void vocabularySlicesGiveTheWholeLogitsLossAndInputGradient() {
        int V = 50, d = 64, N = 9;
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        double[] xv = new double[N * d], wv = new double[V * d];
        for (int i = 0; i < xv.length; i++) xv[i] = r.nextGaussian();
        for (int i = 0; i < wv.length; i++) wv[i] = r.nextGaussian() * 0.5;
        INDArray xn = Nd4j.create(xv, new long[] {N, d}, 'c'), w = Nd4j.create(wv, new long[] {V, d}, 'c');
        int[][] labels = {{CausalLmLoss.IGNORE, 3, 49, 0, CausalLmLoss.IGNORE, 17, 17, 8, 42}};
        FrozenLinear out = new FrozenLinear(w);
        CausalLmLoss.HiddenResult whole = CausalLmLoss.fromHidden(out, xn, labels, true, 0.5, null, N);
        for (int vocabRows : new int[] {1, 7, 16, 50, 64}) {
            CausalLmLoss.HiddenResult sliced = CausalLmLoss.inVocabSlices(out, xn, labels, true, 0.5, vocabRows);
            assertEquals(whole.count(), sliced.count());
            assertEquals(whole.loss(), sliced.loss(), 1e-12 * whole.loss(), "loss, slices of " + vocabRows);
            assertEquals(0, whole.dHidden().sub(sliced.dHidden()).amaxNumber().doubleValue(), 1e-12, "dxn, slices of " + vocabRows);
            assertNull(CausalLmLoss.inVocabSlices(out, xn, labels, false, 0.5, vocabRows).dHidden());
        }
        assertTrue(whole.dHidden().amaxNumber().doubleValue() > 1e-3);

        // Q8_0 rows split over three buffers of 20, 20 and 10 rows (as a mapping larger than 2 GiB is)
        float[] wf = new float[V * d];
        for (int i = 0; i < wf.length; i++) wf[i] = (float) wv[i];
        io.lora4j.core.ggml.GgmlType q8 = io.lora4j.core.ggml.GgmlType.Q8_0;
        byte[] bytes = new byte[(int) (V * q8.rowBytes(d))];
        io.lora4j.core.ggml.GgmlQuantizer.quantize(q8, wf, 0, wf.length, bytes, 0);
        int rb = (int) q8.rowBytes(d);
        java.nio.ByteBuffer all = java.nio.ByteBuffer.wrap(bytes);
        java.nio.ByteBuffer[] parts = {all.slice(0, 20 * rb), all.slice(20 * rb, 20 * rb), all.slice(40 * rb, 10 * rb)};
        FrozenLinear q = new FrozenLinear(new BlockWeight("output.weight", q8, V, d, parts, 20, null));
        FrozenLinear expanded = new FrozenLinear(q.stored().toDense(DataType.FLOAT));
        INDArray xf = xn.castTo(DataType.FLOAT);
        CausalLmLoss.HiddenResult ref = CausalLmLoss.fromHidden(expanded, xf, labels, true, 0.5, null, N);
        for (int vocabRows : new int[] {3, 15, 32}) {
            CausalLmLoss.HiddenResult sliced = CausalLmLoss.inVocabSlices(q, xf, labels, true, 0.5, vocabRows);
            assertEquals(ref.loss(), sliced.loss(), 1e-5 * ref.loss(), "Q8_0 loss, slices of " + vocabRows);
            assertEquals(0, ref.dHidden().sub(sliced.dHidden()).amaxNumber().doubleValue(), 1e-5, "Q8_0 dxn, slices of " + vocabRows);
        }
    }

    /** The training path (hidden forward + lossAndBackward in a step workspace) equals logits + compute + backward, for every tensor. */
    @Test
    void lossAndBackwardEqualsTheLogitsPathForEveryParameter() throws Exception {
        for (boolean tied : new boolean[] {false, true}) {
            for (boolean recompute : new boolean[] {false, true}) {
                LlamaConfig c = TinyModels.config(2, tied);
                Map<String, INDArray> a = new HashMap<>(), b = new HashMap<>();
                BackwardGradCheckTest.TrainableLinear[][] la = new BackwardGradCheckTest.TrainableLinear[1][], lb = new BackwardGradCheckTest.TrainableLinear[1][];
                LlamaModel ma = trainable(c, a, la), mb = trainable(c, b, lb);
                int[][] tokens = TinyModels.tokens(c, 2, 11, 8);
                int[][] labels = labels(tokens);

                LlamaModel.Forward fa = ma.forward(tokens, true, recompute);
                CausalLmLoss.Result ra = CausalLmLoss.compute(fa.logits(), labels, true);
                LlamaBackward.backward(ma, fa, tokens, ra.dLogits(), LlamaBackward.buffers(a));
                CausalLmLoss.HiddenResult rb;
                try (MemoryWorkspace ws = Workspaces.step("test-step")) {
                    LlamaModel.Forward fb = mb.hidden(tokens, true, recompute);
                    assertNull(fb.logits());
                    rb = LlamaBackward.lossAndBackward(mb, fb, tokens, labels, 1.0 / ra.count(), LlamaBackward.buffers(b));
                }
                assertEquals(ra.loss(), rb.loss(), 1e-6 * ra.loss());
                for (String k : a.keySet()) {
                    assertEquals(0, a.get(k).sub(b.get(k)).amaxNumber().doubleValue(), 1e-6 * Math.max(1, a.get(k).amaxNumber().doubleValue()), k);
                }
                for (int i = 0; i < la[0].length; i++) {
                    assertEquals(0, la[0][i].grad.sub(lb[0][i].grad).amaxNumber().doubleValue(), 1e-6, "projection " + i);
                    assertTrue(la[0][i].grad.amaxNumber().doubleValue() > 0);
                }
            }
        }
    }

    private static LlamaModel trainable(LlamaConfig c, Map<String, INDArray> grads, BackwardGradCheckTest.TrainableLinear[][] out) throws Exception {
        java.util.List<BackwardGradCheckTest.TrainableLinear> ls = new java.util.ArrayList<>();
        LlamaModel m = TinyModels.model(c, 6, DataType.FLOAT, (l, p, base) -> {
            BackwardGradCheckTest.TrainableLinear t = new BackwardGradCheckTest.TrainableLinear(base);
            ls.add(t);
            return t;
        });
        out[0] = ls.toArray(new BackwardGradCheckTest.TrainableLinear[0]);
        grads.put("model.norm.weight", Nd4j.zeros(DataType.FLOAT, c.dim()));
        grads.put("model.layers.0.input_layernorm.weight", Nd4j.zeros(DataType.FLOAT, c.dim()));
        grads.put("model.embed_tokens.weight", Nd4j.zeros(DataType.FLOAT, c.vocabSize(), c.dim()));
        if (!c.tiedEmbeddings()) grads.put("lm_head.weight", Nd4j.zeros(DataType.FLOAT, c.vocabSize(), c.dim()));
        return m;
    }
}
