package io.lora4j.core.model;

import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * Where a loader gets the base weights from: float values of one tensor by its Hugging Face name,
 * row-major in PyTorch shape order, with Q/K rows already in Hugging Face (rotate-half) order.
 */
public interface WeightSource {

    /** The tensor's values; {@code shape} is the PyTorch shape the caller expects (checked by the source). */
    float[] read(String hfName, long... shape) throws IOException;

    /** Whether a tensor exists (e.g. {@code lm_head.weight} is absent when embeddings are tied). */
    boolean contains(String hfName);

    /**
     * Every tensor the source holds, by Hugging Face name (a name with no Hugging Face equivalent as stored), so a
     * loader can refuse tensors it would silently ignore; empty when the source cannot list them.
     */
    default Optional<Set<String>> tensorNames() {
        return Optional.empty();
    }

    /** A human-readable name of the source, used in error messages. */
    String describe();
}
