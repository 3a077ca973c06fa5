package io.lora4j.core.model;

/** Decides which {@link Linear} runs each projection; the plain model uses the frozen one as is. */
@FunctionalInterface
public interface LinearFactory {

    Linear create(int layer, Projection projection, FrozenLinear base);

    LinearFactory FROZEN = (layer, projection, base) -> base;
}
