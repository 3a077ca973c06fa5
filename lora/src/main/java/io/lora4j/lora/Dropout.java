package io.lora4j.lora;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted dropout on the adapter input. The mask is a pure function of (seed, shape), so the backward pass —
 * and a recomputed forward — see exactly the mask the forward used.
 */
final class Dropout {
    private final float p;
    private final long moduleSalt;
    private long seed;
    private boolean training;
    private INDArray mask; // cached for the current seed and shape
    private long maskSeed;

    Dropout(float p, long moduleSalt) {
        this.p = p;
        this.moduleSalt = moduleSalt;
    }

    void configure(boolean training, long seed) {
        this.training = training;
        this.seed = seed;
        this.mask = null; // a cached mask may live in the previous micro-batch's workspace
    }

    boolean active() {
        return training && p > 0f;
    }

    INDArray apply(INDArray x) {
        if (!training || p == 0f) return x;
        return x.mul(mask(x));
    }

    INDArray backward(INDArray dxd) {
        if (!training || p == 0f) return dxd;
        return dxd.muli(mask(dxd));
    }

    private INDArray mask(INDArray like) {
        long s = seed * 0x9E3779B97F4A7C15L + moduleSalt;
        if (mask != null && maskSeed == s && java.util.Arrays.equals(mask.shape(), like.shape()) && mask.dataType() == like.dataType()) {
            return mask;
        }
        SplittableRandom r = new SplittableRandom(s);
        double keep = 1.0 / (1.0 - p);
        double[] m = new double[(int) like.length()];
        for (int i = 0; i < m.length; i++) m[i] = r.nextDouble() < p ? 0.0 : keep;
        mask = Nd4j.createFromArray(m).castTo(like.dataType()).reshape(like.shape());
        maskSeed = s;
        return mask;
    }
}
