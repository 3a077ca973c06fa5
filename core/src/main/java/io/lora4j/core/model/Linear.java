package io.lora4j.core.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One linear projection y = x·Wᵀ of a block. The model only sees this interface, so the LoRA module can wrap
 * the frozen projection without the model knowing.
 */
public interface Linear {

    int inFeatures();

    int outFeatures();

    /** x (N, in) → y (N, out). */
    INDArray forward(INDArray x);

    /**
     * Backward of {@link #forward}: given the forward input x (N, in) and dy (N, out), returns dx (N, in).
     * Implementations with trainable parameters accumulate (+=) their gradients here.
     */
    INDArray backward(INDArray x, INDArray dy);
}
