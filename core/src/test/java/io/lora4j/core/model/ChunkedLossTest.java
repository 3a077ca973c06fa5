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
