package io.lora4j.trainer;

import io.lora4j.core.proto.OptimizerState;

/** An optimizer bound to a {@link io.lora4j.trainer.params.TrainableParameters}' flat parameter and gradient buffers. */
public interface ParameterOptimizer {

    /** One update from the current gradients with learning rate {@code lr}. */
    void step(double lr);

    /** Bytes of optimizer state held (for the memory report). */
    long stateBytes();

    OptimizerState toProto();

    void restore(OptimizerState state);
}
