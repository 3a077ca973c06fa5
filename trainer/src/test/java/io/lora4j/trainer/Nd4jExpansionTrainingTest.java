package io.lora4j.trainer;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.model.BaseDtype;
import io.lora4j.core.model.BlockWeight;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.Nd4jBlockExpander;
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

/**
 * Training on a Q8_0/Q4_0 base expanded by ND4J ops (-Dlora4j.expand=nd4j, what the CUDA backend uses) gives the very
 * losses, gradients and parameters of the host expansion: the expanded weights are the same bits.
 */
class Nd4jExpansionTrainingTest {

    @ParameterizedTest
    @CsvSource({"Q8_0, false", "Q4_0, true"})
    void aStepEqualsTheHostPathExactly(BaseDtype dtype, boolean recompute) throws Exception {
        LlamaConfig c = TinyModels.blockConfig(2, false);
        LlamaWeights host = load(c, dtype, "host"), nd4j = load(c, dtype, "nd4j");
        assertSame(BlockWeight.HOST, ((BlockWeight) host.layers().get(0).weight(Projection.Q)).expander());
        assertSame(Nd4jBlockExpander.INSTANCE, ((BlockWeight) nd4j.layers().get(0).weight(Projection.Q)).expander());
        LoraParameters h = params(c, new LlamaModel(c, host)), d = params(c, new LlamaModel(c, nd4j));
        AdamW optH = new AdamW(h, AdamWSettings.defaults()), optD = new AdamW(d, AdamWSettings.defaults());
        List<MicroBatch> micros = List.of(batch(c, 1), batch(c, 2));
        long tokens = micros.stream().mapToLong(MicroBatch::countedTokens).sum();
        for (int step = 0; step < 2; step++) {
            h.gradients().assign(0);
            d.gradients().assign(0);
            GradientAccumulator.Totals th = GradientAccumulator.accumulate(h, micros, tokens, 100 + step, 0, 1, recompute);
            GradientAccumulator.Totals td = GradientAccumulator.accumulate(d, micros, tokens, 100 + step, 0, 1, recompute);
            assertEquals(th.lossSum(), td.lossSum(), "loss at step " + step);
            assertTrue(h.gradients().norm2Number().doubleValue() > 0);
            assertArrayEquals(h.gradients().toFloatVector(), d.gradients().toFloatVector(), "gradients at step " + step);
            optH.step(1e-2);
            optD.step(1e-2);
            assertArrayEquals(h.parameters().toFloatVector(), d.parameters().toFloatVector(), "parameters after step " + step);
        }
    }

    private static LlamaWeights load(LlamaConfig c, BaseDtype dtype, String expand) throws Exception {
        String old = System.getProperty(BlockWeight.EXPAND_PROPERTY);
        System.setProperty(BlockWeight.EXPAND_PROPERTY, expand);
        try {
            return LlamaWeights.load(c, TinyModels.randomSource(21), dtype);
        } finally {
            if (old == null) System.clearProperty(BlockWeight.EXPAND_PROPERTY);
            else System.setProperty(BlockWeight.EXPAND_PROPERTY, old);
        }
    }

    private static LoraParameters params(LlamaConfig c, LlamaModel base) {
        LoraAdapter a = LoraAdapter.create(c, new LoraConfig(4, 8, 0.1f, EnumSet.allOf(Projection.class), false), 11);
        return new LoraParameters(base, a);
    }

    private static MicroBatch batch(LlamaConfig c, long seed) {
        int[][] tokens = TinyModels.tokens(c, 2, 12, seed);
        return new MicroBatch(tokens, new int[][] {tokens[0].clone(), tokens[1].clone()}, 2 * 11, 24);
    }
}
