package io.lora4j.lora;

import io.lora4j.core.model.Projection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What defines a LoRA adapter (PEFT's LoraConfig, the fields lora4j supports).
 *
 * @param r         rank
 * @param alpha     lora_alpha
 * @param dropout   dropout probability on the adapter input during training
 * @param targets   projections that get an adapter
 * @param useRslora scale by alpha/√r instead of alpha/r
 */
public record LoraConfig(int r, float alpha, float dropout, Set<Projection> targets, boolean useRslora) {

    public LoraConfig {
        if (r <= 0) throw new IllegalArgumentException("lora.r = " + r + ", expected a positive rank");
        if (!(alpha > 0) || !Float.isFinite(alpha)) throw new IllegalArgumentException("lora.alpha = " + alpha + ", expected a positive number");
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("lora.dropout = " + dropout + ", expected 0 <= dropout < 1");
        if (targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("lora.targets is empty, expected some of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj");
        }
        targets = Collections.unmodifiableSet(EnumSet.copyOf(targets));
    }

    /** From PEFT-style module names, e.g. ["q_proj", "v_proj"]. */
    public static LoraConfig of(int r, float alpha, float dropout, List<String> targetNames, boolean useRslora) {
        EnumSet<Projection> t = EnumSet.noneOf(Projection.class);
        for (String n : targetNames) t.add(Projection.fromHfName(n));
        return new LoraConfig(r, alpha, dropout, t, useRslora);
    }

    /** The factor s in y = Wx + s·B·A·x. */
    public float scaling() {
        return useRslora ? (float) (alpha / Math.sqrt(r)) : alpha / r;
    }
}
