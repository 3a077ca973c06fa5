package io.lora4j.trainer;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.model.CausalLmLoss;
import io.lora4j.core.model.GradCheck;
import io.lora4j.core.model.LinearFactory;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.TinyModels;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraConfig;
import io.lora4j.trainer.data.MicroBatch;
import io.lora4j.data.TokenizedExample;
import io.lora4j.trainer.params.FullParameters;
import io.lora4j.trainer.params.LoraParameters;
import io.lora4j.trainer.params.TrainableParameters;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class GradientAccumulatorTest {

    static List<TokenizedExample> examples(LlamaConfig c, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<TokenizedExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = 3 + r.nextInt(6);
            int[] ids = new int[len], labels = new int[len];
            int prompt = 1 + r.nextInt(len - 1);
            for (int t = 0; t < len; t++) {
                ids[t] = r.nextInt(c.vocabSize());
                labels[t] = t < prompt ? -100 : ids[t];
            }
            out.add(new TokenizedExample(ids, labels, "ex" + i));
        }
        return out;
    }

    static long counted(List<TokenizedExample> ex) {
        return ex.stream().mapToLong(TokenizedExample::countedTokens).sum();
    }

    private static INDArray gradientWithMicroBatch(TrainableParameters p, List<TokenizedExample> ex, int micro) {
        p.zeroGradients();
        List<MicroBatch> mbs = new ArrayList<>();
        for (int s = 0; s < ex.size(); s += micro) mbs.add(MicroBatch.of(ex.subList(s, Math.min(s + micro, ex.size())), 0, 1));
        GradientAccumulator.accumulate(p, mbs, counted(ex), 5, 0, 1);
        return p.gradients().dup();
    }

    @Test
    void gradientDoesNotDependOnHowTheBatchIsCut() throws Exception {
        LlamaConfig c = TinyModels.config(2, false);
        LlamaModel base = TinyModels.model(c, 3, DataType.FLOAT, LinearFactory.FROZEN);
        LoraAdapter adapter = LoraAdapter.create(c, new LoraConfig(4, 8, 0f, EnumSet.allOf(Projection.class), false), 1);
        adapter.parameters().addi(org.nd4j.linalg.factory.Nd4j.randn(DataType.FLOAT, adapter.parameterCount()).muli(0.05));
        LoraParameters p = new LoraParameters(base, adapter);
        List<TokenizedExample> ex = examples(c, 8, 4);
        INDArray g8 = gradientWithMicroBatch(p, ex, 8), g2 = gradientWithMicroBatch(p, ex, 2), g1 = gradientWithMicroBatch(p, ex, 1);
        double scale = g8.amaxNumber().doubleValue();
        assertTrue(scale > 0);
        assertTrue(g8.sub(g2).amaxNumber().doubleValue() < 1e-5 * Math.max(1, scale), "micro 8 vs 2");
        assertTrue(g8.sub(g1).amaxNumber().doubleValue() < 1e-5 * Math.max(1, scale), "micro 8 vs 1");
    }

    @Test
    void fullFineTuningGradientsMatchFiniteDifferences() throws Exception {
        LlamaConfig c = TinyModels.config(1, false);
        LlamaModel base = TinyModels.model(c, 8, DataType.DOUBLE, LinearFactory.FROZEN);
        FullParameters p = new FullParameters(base);
        List<TokenizedExample> ex = examples(c, 3, 9);
        MicroBatch mb = MicroBatch.of(ex, 0, 1);
        p.zeroGradients();
        GradientAccumulator.accumulate(p, List.of(mb), counted(ex), 1, 0, 1);
        java.util.function.DoubleSupplier loss = () -> CausalLmLoss.compute(p.model().logits(mb.tokens()), mb.labels(), false).loss();
        double err = GradCheck.maxRelativeError(p.parameters(), p.gradients(), loss, 80, 3);
        assertTrue(err < 1e-4, "relative error " + err);
    }
}
