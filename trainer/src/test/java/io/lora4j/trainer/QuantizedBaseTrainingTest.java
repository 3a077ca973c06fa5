package io.lora4j.trainer;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.model.BaseDtype;
import io.lora4j.core.model.CausalLmLoss;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.TinyModels;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraConfig;
import io.lora4j.trainer.data.MicroBatch;
import io.lora4j.trainer.optim.AdamW;
import io.lora4j.trainer.optim.AdamWSettings;
import io.lora4j.trainer.params.LoraParameters;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Training LoRA on a base held as Q8_0/Q4_0 blocks gives, step for step, the losses, gradients and parameters of
 * training on the fp32 model built from the same dequantized weights: holding the base compressed changes memory, not math.
 */
class QuantizedBaseTrainingTest {

    @ParameterizedTest
    @CsvSource({"Q8_0, false", "Q4_0, false", "Q4_0, true"})
    void stepForStepEqualToTheFp32ModelOfTheDequantizedWeights(BaseDtype dtype, boolean recompute) throws Exception {
        LlamaConfig c = TinyModels.blockConfig(2, false);
        LlamaWeights held = LlamaWeights.load(c, TinyModels.randomSource(21), dtype);
        assertEquals(dtype.name(), held.layers().get(0).weight(Projection.Q).storage());
        LoraParameters q = params(c, new LlamaModel(c, held));
        LoraParameters f = params(c, new LlamaModel(c, TinyModels.expanded(c, held)));
        AdamW optQ = new AdamW(q, AdamWSettings.defaults()), optF = new AdamW(f, AdamWSettings.defaults());

        List<MicroBatch> micros = List.of(batch(c, 1), batch(c, 2));
        long tokens = micros.stream().mapToLong(MicroBatch::countedTokens).sum();
        for (int step = 0; step < 4; step++) {
            q.gradients().assign(0);
            f.gradients().assign(0);
            GradientAccumulator.Totals tq = GradientAccumulator.accumulate(q, micros, tokens, 100 + step, 0, 1, recompute);
            GradientAccumulator.Totals tf = GradientAccumulator.accumulate(f, micros, tokens, 100 + step, 0, 1, recompute);
            assertEquals(tf.lossSum(), tq.lossSum(), 1e-5 * Math.abs(tf.lossSum()), "loss at step " + step);
            assertTrue(relative(q.gradients(), f.gradients()) <= 1e-5, "gradients at step " + step + ": " + relative(q.gradients(), f.gradients()));
            assertTrue(f.gradients().norm2Number().doubleValue() > 0);
            optQ.step(1e-2);
            optF.step(1e-2);
            assertTrue(relative(q.parameters(), f.parameters()) <= 1e-5, "parameters after step " + step);
        }
    }

    private static LoraParameters params(LlamaConfig c, LlamaModel base) {
        // dropout on, so the masks (per seed and step) must match too
        LoraAdapter a = LoraAdapter.create(c, new LoraConfig(4, 8, 0.1f, EnumSet.of(Projection.Q, Projection.V, Projection.UP, Projection.DOWN), false), 11);
        return new LoraParameters(base, a);
    }

    private static MicroBatch batch(LlamaConfig c, long seed) {
        int[][] tokens = TinyModels.tokens(c, 2, 12, seed);
        int[][] labels = new int[2][];
        for (int b = 0; b < 2; b++) {
            labels[b] = tokens[b].clone();
            for (int t = 0; t < 4; t++) labels[b][t] = CausalLmLoss.IGNORE; // a prompt that does not count
        }
        return new MicroBatch(tokens, labels, 2 * 7, 24);
    }

    private static double relative(INDArray a, INDArray b) {
        return a.sub(b).norm2Number().doubleValue() / Math.max(b.norm2Number().doubleValue(), 1e-30);
    }
}
