package io.lora4j.trainer.optim;

import java.util.function.LongToDoubleFunction;

/**
 * Learning-rate schedules with linear warm-up, as Hugging Face transformers defines them
 * (get_constant_schedule_with_warmup, get_linear_schedule_with_warmup, get_cosine_schedule_with_warmup with 0.5 cycles):
 * the rate used for optimizer step {@code s} (0-based).
 */
public final class LrSchedules {
    private LrSchedules() {}

    public static LongToDoubleFunction of(String kind, double lr, long warmup, long total) {
        if (warmup < 0 || total <= 0) throw new IllegalArgumentException("warmup " + warmup + " and total " + total + " steps must be >= 0 and > 0");
        return switch (kind) {
            case "constant" -> s -> s < warmup ? lr * s / Math.max(1, warmup) : lr;
            case "linear" -> s -> s < warmup ? lr * s / Math.max(1, warmup) : lr * Math.max(0.0, (double) (total - s) / Math.max(1, total - warmup));
            case "cosine" -> s -> {
                if (s < warmup) return lr * s / Math.max(1, warmup);
                double progress = (double) (s - warmup) / Math.max(1, total - warmup);
                return lr * Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
            };
            default -> throw new IllegalArgumentException("train.schedule = " + kind + ": expected constant, linear or cosine");
        };
    }

    /** Warm-up steps from a step count or, when that is 0, a ratio of the total (rounded up like transformers). */
    public static long warmupSteps(int steps, double ratio, long total) {
        return steps > 0 ? steps : (long) Math.ceil(ratio * total);
    }
}
