package io.lora4j.core.model;

import java.util.ArrayList;
import java.util.List;

/** Text continuation with a KV cache: feeds the prompt, then samples until EOS or the token budget. */
public final class Generator {
    private Generator() {}

    /** Returns only the generated ids (not the prompt); stops after {@code eosId} (not included) or maxNew tokens. */
    public static int[] generate(LlamaModel model, int[] prompt, int maxNew, Sampler sampler, int eosId) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: at least BOS is needed");
        int budget = Math.min(prompt.length + maxNew, model.config().contextLength());
        KvCacheSession session = new KvCacheSession(model, budget);
        float[] logits = null;
        for (int t : prompt) logits = session.next(t);
        List<Integer> out = new ArrayList<>();
        while (session.position() < budget) {
            int next = sampler.sample(logits);
            if (next == eosId) break;
            out.add(next);
            if (session.position() == budget) break;
            logits = session.next(next);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
