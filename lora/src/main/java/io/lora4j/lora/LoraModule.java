package io.lora4j.lora;

import io.lora4j.core.model.Projection;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The adapter of one projection of one layer: A (r, in), B (out, r), their gradients, and the scaling.
 * A, B, dA and dB are views into the flat buffers of the {@link LoraAdapter} that owns them (dA and dB are null in an
 * adapter read for inference).
 */
public record LoraModule(int layer, Projection projection, INDArray a, INDArray b, INDArray gradA, INDArray gradB, float scaling) {

    public int rank() {
        return (int) a.size(0);
    }

    /** PEFT's key prefix, e.g. {@code base_model.model.model.layers.3.self_attn.q_proj}. */
    public String peftPrefix() {
        return peftPrefix(layer, projection);
    }

    public static String peftPrefix(int layer, Projection p) {
        return "base_model.model.model.layers." + layer + "." + p.hfParent + "." + p.hfName;
    }

    /** s·B·A (out, in): the only place the low-rank update is formed (merge, export and checks use it). */
    public INDArray delta() {
        return org.nd4j.linalg.factory.Nd4j.gemm(b, a, false, false).muli(scaling);
    }

    /** Rows {@code ids} of {@link #delta} (ids.length, in): a streaming export merges a tensor a part at a time. */
    public INDArray deltaRows(int[] ids) {
        try (INDArray rowsOfB = b.getRows(ids)) {
            return org.nd4j.linalg.factory.Nd4j.gemm(rowsOfB, a, false, false).muli(scaling);
        }
    }
}
