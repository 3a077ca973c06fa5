package io.lora4j.lora;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.model.CausalLmLoss;
import io.lora4j.core.model.GradCheck;
import io.lora4j.core.model.GradientSink;
import io.lora4j.core.model.LlamaBackward;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.TinyModels;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class LoraAdapterTest {
    private static final LoraConfig ALL = new LoraConfig(4, 8f, 0f, EnumSet.allOf(Projection.class), false);

    @Test
    void freshAdapterLeavesTheBaseModelExactlyUnchanged() throws Exception {
        LlamaConfig c = TinyModels.config(2, false);
        LlamaModel base = TinyModels.model(c, 1, DataType.FLOAT, io.lora4j.core.model.LinearFactory.FROZEN);
        LoraAdapter adapter = LoraAdapter.create(c, ALL, 7);
        int[][] tokens = TinyModels.tokens(c, 2, 7, 3);
        float[][] before = base.logits(tokens).toFloatMatrix();
        float[][] after = adapter.attach(base).logits(tokens).toFloatMatrix();
        for (int i = 0; i < before.length; i++) assertArrayEquals(before[i], after[i], 0f);
        assertTrue(adapter.module(0, Projection.Q).a().norm2Number().doubleValue() > 0, "A must be initialised");
        assertEquals(0.0, adapter.module(0, Projection.Q).b().norm2Number().doubleValue(), "B must start at zero");
    }

    @Test
    void anAdapterReadForInferenceHasNoGradientBuffersAndSaysSoWhenAskedToTrain() throws Exception {
        LlamaConfig c = TinyModels.config(2, false);
        LoraAdapter trained = LoraAdapter.create(c, ALL, 7);
        for (LoraModule m : trained.modules()) m.b().assign(0.01);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("lora4j-infer");
        PeftAdapterIO.save(dir, trained, "tiny");
        LoraAdapter read = AdapterLoader.load(dir, c, 1f);
        assertEquals(trained.parameters(), read.parameters(), "the parameters read back");
        assertNull(read.module(1, Projection.DOWN).gradA(), "no gradient views");
        IllegalStateException e = assertThrows(IllegalStateException.class, read::gradients);
        assertTrue(e.getMessage().contains("no gradient buffers"), e.getMessage());
        assertThrows(IllegalStateException.class, read::zeroGradients);
        int[][] tokens = TinyModels.tokens(c, 2, 7, 3);
        LlamaModel base = TinyModels.model(c, 1, DataType.FLOAT, io.lora4j.core.model.LinearFactory.FROZEN);
        assertArrayEquals(trained.attach(base).logits(tokens).toFloatMatrix()[0], read.attach(base).logits(tokens).toFloatMatrix()[0], 0f, "the forward pass needs none");
    }

    @Test
    void initialisationIsKaimingUniformWithPeftBounds() {
        LlamaConfig c = TinyModels.config(1, false);
        LoraAdapter adapter = LoraAdapter.create(c, ALL, 9);
        for (LoraModule m : adapter.modules()) {
            double bound = 1.0 / Math.sqrt(m.a().size(1));
            double max = m.a().amaxNumber().doubleValue();
            assertTrue(max <= bound && max > 0.8 * bound, m.peftPrefix() + ": max |A| " + max + " vs bound " + bound);
        }
    }

    @Test
    void moduleTensorsAreViewsOfTheFlatBuffers() {
        LlamaConfig c = TinyModels.config(2, false);
        LoraAdapter adapter = LoraAdapter.create(c, ALL, 1);
        long expected = 0;
        for (int l = 0; l < 2; l++) for (Projection p : Projection.values()) expected += 4L * (p.inFeatures(c) + p.outFeatures(c));
        assertEquals(expected, adapter.parameterCount());
        LoraModule last = adapter.modules().get(adapter.modules().size() - 1);
        last.b().putScalar(0, 0, 3.5f);
        last.gradA().putScalar(1, 2, -2f);
        long bStart = adapter.parameterCount() - last.b().length(); // the last tensor in the flat layout
        assertEquals(3.5f, adapter.parameters().getFloat(bStart), 0f);
        long aStart = bStart - last.a().length();
        assertEquals(-2f, adapter.gradients().getFloat(aStart + 1 * last.a().size(1) + 2), 0f);
        assertEquals(-2f, adapter.gradients().sumNumber().floatValue(), 0f);
        adapter.zeroGradients();
        assertEquals(0f, last.gradA().getFloat(1, 2));
    }

    @Test
    void mergedWeightsGiveTheSameLogitsAsTheUnmergedAdapter() throws Exception {
        LlamaConfig c = TinyModels.config(2, false);
        LlamaModel base = TinyModels.model(c, 4, DataType.FLOAT, io.lora4j.core.model.LinearFactory.FROZEN);
        LoraAdapter adapter = LoraAdapter.create(c, ALL, 5);
        adapter.parameters().addi(org.nd4j.linalg.factory.Nd4j.rand(DataType.FLOAT, adapter.parameterCount()).subi(0.5).muli(0.2));
        LlamaModel adapted = adapter.attach(base);
        LlamaModel merged = new LlamaModel(c, LoraMerge.merge(base.weights(), adapter));
        int[][] tokens = TinyModels.tokens(c, 1, 9, 2);
        INDArray a = adapted.logits(tokens), m = merged.logits(tokens), b = base.logits(tokens);
        assertTrue(a.sub(m).amaxNumber().doubleValue() < 1e-4, "merged vs unmerged");
        assertTrue(a.sub(b).amaxNumber().doubleValue() > 1e-2, "a non-zero adapter must change the logits");
    }

    @Test
    void gradientsOfAWholeTwoLayerModelWithLoraMatchFiniteDifferences() throws Exception {
        for (float dropout : new float[] {0f, 0.3f}) {
            LoraConfig cfg = new LoraConfig(3, 6f, dropout, EnumSet.allOf(Projection.class), dropout > 0);
            LlamaConfig c = TinyModels.config(2, false);
            LlamaModel base = TinyModels.model(c, 21, DataType.DOUBLE, io.lora4j.core.model.LinearFactory.FROZEN);
            LoraAdapter adapter = LoraAdapter.create(c, cfg, 22, DataType.DOUBLE);
            // B = 0 would make dA vanish; give B values so both gradients are exercised
            org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(17);
            for (LoraModule m : adapter.modules()) m.b().assign(org.nd4j.linalg.factory.Nd4j.randn(DataType.DOUBLE, m.b().shape()).muli(0.2));
            adapter.setMode(true, 99);
            LlamaModel model = adapter.attach(base);
            int[][] tokens = TinyModels.tokens(c, 2, 5, 23);
            int[][] labels = {tokens[0].clone(), tokens[1].clone()};
            labels[1][1] = CausalLmLoss.IGNORE;

            LlamaModel.Forward fwd = model.forward(tokens, true);
            CausalLmLoss.Result res = CausalLmLoss.compute(fwd.logits(), labels, true);
            LlamaBackward.backward(model, fwd, tokens, res.dLogits(), GradientSink.FROZEN);

            java.util.function.DoubleSupplier loss = () -> CausalLmLoss.compute(model.logits(tokens), labels, false).loss();
            double worst = 0;
            for (LoraModule m : adapter.modules()) {
                worst = Math.max(worst, GradCheck.maxRelativeError(m.a(), m.gradA(), loss, 6, m.layer() * 7 + m.projection().ordinal()));
                worst = Math.max(worst, GradCheck.maxRelativeError(m.b(), m.gradB(), loss, 6, 100 + m.layer() * 7 + m.projection().ordinal()));
            }
            System.out.printf("LoRA whole-model gradient check (dropout %.1f): max relative error %.2e%n", dropout, worst);
            assertTrue(worst < 1e-4, "dropout " + dropout + ": max relative error " + worst);
        }
    }

    @Test
    void rsloraScalesByAlphaOverSqrtR() {
        assertEquals(16f / 8, LoraConfig.of(8, 16, 0, List.of("q_proj"), false).scaling());
        assertEquals((float) (16 / Math.sqrt(8)), LoraConfig.of(8, 16, 0, List.of("q_proj"), true).scaling());
        assertThrows(IllegalArgumentException.class, () -> LoraConfig.of(8, 16, 0, List.of("qq_proj"), false));
    }
}
