package io.lora4j.lora;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted dropout on the adapter input. The mask is drawn by ND4J's random generator (a native op, on the device
 * with a device backend) reseeded from (step seed, module) each time it is needed, so it is a pure function of
 * (seed, module, shape): the backward pass — and a recomputed forward — draw exactly the mask the forward used, and
 * no mask outlives the workspace it was drawn in. Reseeding leaves this thread's ND4J generator in a state set by
 * the last mask; lora4j draws nothing else from it while training.
 */
final class Dropout {
    private final float p;
    private final long moduleSalt;
    private long seed;
    private boolean training;

    Dropout(float p, long moduleSalt) {
        this.p = p;
        this.moduleSalt = moduleSalt;
    }

    void configure(boolean training, long seed) {
        this.training = training;
        this.seed = seed;
    }

    /** Configures and returns this (tests). */
    Dropout withConfig(boolean training, long seed) {
        configure(training, seed);
        return this;
    }

    boolean active() {
        return training && p > 0f;
    }

    INDArray apply(INDArray x) {
        if (!active()) return x;
        return mask(x).muli(x); // into the mask: one (N, in) temporary, not two
    }

    INDArray backward(INDArray dxd) {
        if (!active()) return dxd;
        return dxd.muli(mask(dxd));
    }

    /** The mask of this step and module: 1/(1−p) with probability 1−p, else 0. */
    INDArray mask(INDArray like) {
        INDArray m = Nd4j.createUninitialized(like.dataType(), like.shape());
        Random rng = Nd4j.getRandom();
        rng.setSeed(seed * 0x9E3779B97F4A7C15L + moduleSalt);
        Nd4j.getExecutioner().exec(new BernoulliDistribution(m, 1.0 - p), rng);
        return m.muli(1.0 / (1.0 - p));
    }
}
