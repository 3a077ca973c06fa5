package io.lora4j.lora;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.model.CausalLmLoss;
import io.lora4j.core.model.GradCheck;
import io.lora4j.core.model.LinearFactory;
import io.lora4j.core.model.LlamaBackward;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.TinyModels;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** LoRA on a Qwen2-style model (q/k/v biases, tied, llama3 RoPE scaling): B·A·x goes on top of W·x + b, biases stay frozen. */
class LoraOnBiasedModelTest {

    private static LlamaConfig qwenLike() {
        return TinyModels.familyConfig(2, true, Set.of(Projection.Q, Projection.K, Projection.V), true, 0);
    }

    @Test
    void loraGradientsMatchFiniteDifferencesAndBiasesGetNone() throws Exception {
        LlamaConfig c = qwenLike();
        LlamaModel base = TinyModels.model(c, 41, DataType.DOUBLE, LinearFactory.FROZEN);
        LoraAdapter adapter = LoraAdapter.create(c, new LoraConfig(3, 6f, 0f, EnumSet.allOf(Projection.class), false), 42, DataType.DOUBLE);
        Nd4j.getRandom().setSeed(43);
        for (LoraModule m : adapter.modules()) m.b().assign(Nd4j.randn(DataType.DOUBLE, m.b().shape()).muli(0.2));
        LlamaModel model = adapter.attach(base);
        int[][] tokens = TinyModels.tokens(c, 2, 5, 44);
        INDArray biasBefore = base.weights().layers().get(0).b(Projection.Q).dup();

        List<String> asked = new ArrayList<>();
        LlamaModel.Forward fwd = model.forward(tokens, true);
        LlamaBackward.backward(model, fwd, tokens, CausalLmLoss.compute(fwd.logits(), tokens, true).dLogits(), name -> {
            asked.add(name);
            return null; // LoRA training: every base tensor, biases included, is frozen
        });
        assertTrue(asked.contains("model.layers.1.self_attn.q_proj.bias"), asked.toString());
        assertEquals(biasBefore, base.weights().layers().get(0).b(Projection.Q));

        java.util.function.DoubleSupplier loss = () -> CausalLmLoss.compute(model.logits(tokens), tokens, false).loss();
        double worst = 0;
        for (LoraModule m : adapter.modules()) {
            worst = Math.max(worst, GradCheck.maxRelativeError(m.a(), m.gradA(), loss, 5, m.layer() * 7 + m.projection().ordinal()));
            worst = Math.max(worst, GradCheck.maxRelativeError(m.b(), m.gradB(), loss, 5, 50 + m.layer() * 7 + m.projection().ordinal()));
        }
        assertTrue(worst < 1e-4, "max relative error " + worst);
    }

    @Test
    void mergingKeepsTheBiases() throws Exception {
        LlamaConfig c = qwenLike();
        LlamaModel base = TinyModels.model(c, 51, DataType.FLOAT, LinearFactory.FROZEN);
        LoraAdapter adapter = LoraAdapter.create(c, new LoraConfig(4, 8f, 0f, EnumSet.allOf(Projection.class), false), 52);
        Nd4j.getRandom().setSeed(53);
        for (LoraModule m : adapter.modules()) m.b().assign(Nd4j.randn(DataType.FLOAT, m.b().shape()).muli(0.2));
        LlamaWeights merged = LoraMerge.merge(base.weights(), adapter);
        assertSame(base.weights().layers().get(1).b(Projection.K), merged.layers().get(1).b(Projection.K));
        int[][] tokens = TinyModels.tokens(c, 1, 7, 54);
        INDArray a = adapter.attach(base).logits(tokens), m = new LlamaModel(c, merged).logits(tokens);
        assertTrue(a.sub(m).amaxNumber().doubleValue() < 1e-4, "merged vs unmerged");
        assertTrue(a.sub(base.logits(tokens)).amaxNumber().doubleValue() > 1e-2, "the adapter changes the logits");
    }
}
