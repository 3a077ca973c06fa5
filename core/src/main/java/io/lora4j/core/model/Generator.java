package io.lora4j.core.model;

import java.util.ArrayList;
import java.util.List;

/** Text continuation with a KV cache: feeds the prompt, then samples until EOS or the token budget. */
public final class Generator {
    private Generator() {}

    /** Generated ids and, for each, the gap between the best and the second-best logit at that step. */
    public record Output(int[] ids, float[] margins) {}

    /** Returns only the generated ids (not the prompt); stops after {@code eosId} (not included) or maxNew tokens. */
    public static int[] generate(LlamaModel model, int[] prompt, int maxNew, Sampler sampler, int eosId) {
        return generateWithMargins(model, prompt, maxNew, sampler, eosId).ids();
    }

    /** As {@link #generate}, also reporting how close each choice was (small margins flip under quantization noise). */
    public static Output generateWithMargins(LlamaModel model, int[] prompt, int maxNew, Sampler sampler, int eosId) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: at least BOS is needed");
        int budget = Math.min(prompt.length + maxNew, model.config().contextLength());
        KvCacheSession session = new KvCacheSession(model, budget);
        float[] logits = null;
        for (int t : prompt) logits = session.next(t);
        List<Integer> out = new ArrayList<>();
        List<Float> margins = new ArrayList<>();
        while (session.position() < budget) {
            int next = sampler.sample(logits);
            margins.add(margin(logits));
            if (next == eosId) break;
            out.add(next);
            if (session.position() == budget) break;
            logits = session.next(next);
        }
        float[] m = new float[margins.size()];
        for (int i = 0; i < m.length; i++) m[i] = margins.get(i);
        return new Output(out.stream().mapToInt(Integer::intValue).toArray(), m);
    }

    static float margin(float[] logits) {
        float best = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
        for (float l : logits) {
            if (l > best) {
                second = best;
                best = l;
            } else if (l > second) {
                second = l;
            }
        }
        return best - second;
    }
}
