package io.lora4j.trainer;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.model.CausalLmLoss;
import io.lora4j.core.model.LinearFactory;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.TinyModels;
import io.lora4j.data.TokenizedExample;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraConfig;
import io.lora4j.trainer.data.MicroBatch;
import io.lora4j.trainer.params.LoraParameters;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A micro-batch of packed rows trains as its examples alone. The loss of a global batch is Σ(token losses) / N with
 * N the counted tokens of the whole global batch (GradientAccumulator's sumScale 1/N), so with the same N the
 * gradient of a packed micro-batch must equal the sum of the gradients of its examples each in a micro-batch of
 * its own, and the loss sums and token counts must match.
 */
class PackedMicroBatchTest {

    /** Examples joined into one row as the data pipeline's Packer joins them (first label of each example -100). */
    static TokenizedExample pack(List<TokenizedExample> group) {
        int n = group.stream().mapToInt(e -> e.inputIds().length).sum();
        int[] ids = new int[n], labels = new int[n], seg = new int[group.size()];
        int at = 0;
        for (int i = 0; i < group.size(); i++) {
            TokenizedExample e = group.get(i);
            System.arraycopy(e.inputIds(), 0, ids, at, e.inputIds().length);
            System.arraycopy(e.labels(), 0, labels, at, e.labels().length);
            labels[at] = CausalLmLoss.IGNORE;
            seg[i] = e.inputIds().length;
            at += seg[i];
        }
        return new TokenizedExample(ids, labels, "packed", group.size() > 1 ? seg : null);
    }

    /** Random examples whose labels train on every token but the first (so boundaries would matter if mishandled). */
    static List<TokenizedExample> examples(LlamaConfig c, int n, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        List<TokenizedExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = 3 + r.nextInt(6);
            int[] ids = new int[len];
            for (int t = 0; t < len; t++) ids[t] = r.nextInt(c.vocabSize());
            out.add(new TokenizedExample(ids, ids.clone(), "ex" + i));
        }
        return out;
    }

    @Test
    void packedLoraGradientsEqualTheSumOfEachExampleAlone() throws Exception {
        LlamaConfig c = TinyModels.config(2, false);
        LlamaModel base = TinyModels.model(c, 5, DataType.FLOAT, LinearFactory.FROZEN);
        LoraAdapter adapter = LoraAdapter.create(c, new LoraConfig(4, 8, 0f, EnumSet.allOf(Projection.class), false), 1);
        adapter.parameters().addi(Nd4j.randn(DataType.FLOAT, adapter.parameterCount()).muli(0.05));
        LoraParameters p = new LoraParameters(base, adapter);
        List<TokenizedExample> ex = examples(c, 6, 8);
        // rows: three examples, one alone, two (padded to the longest row)
        List<TokenizedExample> rows = List.of(pack(ex.subList(0, 3)), pack(ex.subList(3, 4)), pack(ex.subList(4, 6)));
        long counted = ex.stream().mapToLong(TokenizedExample::countedTokens).sum();
        assertEquals(counted, rows.stream().mapToLong(TokenizedExample::countedTokens).sum(), "packing keeps the counted tokens");
        MicroBatch packed = MicroBatch.of(rows, 0, 1);
        assertNotNull(packed.segments());

        for (boolean recompute : new boolean[] {false, true}) {
            p.zeroGradients();
            GradientAccumulator.Totals tp = GradientAccumulator.accumulate(p, List.of(packed), counted, 1, 0, 1, recompute);
            INDArray gPacked = p.gradients().dup();
            p.zeroGradients();
            List<MicroBatch> alone = ex.stream().map(e -> MicroBatch.of(List.of(e), 0, 1)).toList();
            GradientAccumulator.Totals ta = GradientAccumulator.accumulate(p, alone, counted, 1, 0, 1, recompute);
            INDArray gAlone = p.gradients().dup();
            double scale = gAlone.amaxNumber().doubleValue(), diff = gPacked.sub(gAlone).amaxNumber().doubleValue();
            System.out.printf("LoRA gradients, packed vs sum alone (recompute %s): max |Δ| %.3g, relative %.3g; loss sums %.7f vs %.7f%n", recompute, diff,
                    diff / scale, tp.lossSum(), ta.lossSum());
            assertTrue(scale > 0);
            assertTrue(diff < 1e-5 * scale, "relative " + diff / scale);
            assertEquals(ta.tokens(), tp.tokens());
            assertEquals(ta.lossSum(), tp.lossSum(), 1e-5 * Math.abs(ta.lossSum()));
            assertEquals(GradientAccumulator.evaluate(p, alone).lossSum(), GradientAccumulator.evaluate(p, List.of(packed)).lossSum(), 1e-5 * ta.lossSum());
        }

        // the old path (rows without their boundaries) trains something else
        p.zeroGradients();
        MicroBatch unsegmented = new MicroBatch(packed.tokens(), packed.labels(), packed.countedTokens(), packed.realTokens());
        GradientAccumulator.accumulate(p, List.of(unsegmented), counted, 1, 0, 1);
        INDArray gOld = p.gradients().dup();
        p.zeroGradients();
        GradientAccumulator.accumulate(p, ex.stream().map(e -> MicroBatch.of(List.of(e), 0, 1)).toList(), counted, 1, 0, 1);
        double oldDiff = gOld.sub(p.gradients()).amaxNumber().doubleValue() / p.gradients().amaxNumber().doubleValue();
        System.out.printf("LoRA gradients without segments vs sum alone: relative %.3g%n", oldDiff);
        assertTrue(oldDiff > 1e-2, "without boundaries the examples see each other: " + oldDiff);
    }

    @Test
    void unpackedMicroBatchesHaveNoSegments() {
        LlamaConfig c = TinyModels.config(1, false);
        List<TokenizedExample> ex = examples(c, 3, 2);
        MicroBatch mb = MicroBatch.of(ex, 0, 1);
        assertNull(mb.segments(), "unpacked rows take the plain causal path");
        for (int b = 0; b < ex.size(); b++) {
            assertEquals(CausalLmLoss.IGNORE, mb.labels()[b][0]);
            for (int t = 1; t < ex.get(b).labels().length; t++) assertEquals(ex.get(b).labels()[t], mb.labels()[b][t]);
        }
    }
}
