package io.lora4j.lora;

import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.Projection;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** W' = W + s·B·A in fp32, on the original-precision weights; the base weights are not modified. */
public final class LoraMerge {
    private LoraMerge() {}

    public static LlamaWeights merge(LlamaWeights base, LoraAdapter adapter) {
        List<LlamaWeights.Layer> layers = new ArrayList<>();
        for (int l = 0; l < base.layers().size(); l++) {
            LlamaWeights.Layer layer = base.layers().get(l);
            Map<Projection, INDArray> proj = new EnumMap<>(Projection.class);
            for (Projection p : Projection.values()) {
                LoraModule m = adapter.module(l, p);
                INDArray w = layer.w(p);
                if (m == null) {
                    proj.put(p, w);
                } else {
                    INDArray merged = w.castTo(DataType.FLOAT).dup().addi(m.delta().castTo(DataType.FLOAT));
                    proj.put(p, w.dataType() == DataType.FLOAT ? merged : merged.castTo(w.dataType()));
                }
            }
            layers.add(layer.withProjections(proj)); // biases stay as they are: LoRA does not train them
        }
        return new LlamaWeights(base.tokenEmbedding(), layers, base.outputNorm(), base.output());
    }
}
