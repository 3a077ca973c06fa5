package io.lora4j.core.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where the backward pass accumulates gradients of base-model tensors that are not behind a {@link Linear}
 * (embeddings, norms, the output matrix). Returns null for a frozen tensor, so frozen weights cost no gradient memory.
 */
@FunctionalInterface
public interface GradientSink {

    /** The gradient buffer for a tensor, by Hugging Face name and shaped like it, or null when it is frozen. */
    INDArray gradient(String hfName);

    GradientSink FROZEN = name -> null;
}
