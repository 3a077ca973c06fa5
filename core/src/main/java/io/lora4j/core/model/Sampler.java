package io.lora4j.core.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks the next token: arg-max at temperature 0, otherwise softmax(logits/T) with nucleus (top-p) sampling. */
public final class Sampler {
    private final float temperature;
    private final float topP;
    private final SplittableRandom random;

    public Sampler(float temperature, float topP, long seed) {
        if (temperature < 0 || !(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("temperature must be >= 0 and top_p in (0, 1], got " + temperature + ", " + topP);
        }
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0f, 1f, 0);
    }

    public int sample(float[] logits) {
        if (temperature == 0f) return argmax(logits);
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp((logits[i] - max) / temperature);
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        double cut = topP * sum, acc = 0;
        int n = 0;
        while (n < order.length && acc < cut) acc += p[order[n++]];
        double r = random.nextDouble() * acc;
        for (int i = 0; i < n; i++) {
            r -= p[order[i]];
            if (r <= 0) return order[i];
        }
        return order[n - 1];
    }

    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
