package io.lora4j.trainer.optim;

/** AdamW hyperparameters shared by the fp32 and 8-bit variants. */
public record AdamWSettings(double beta1, double beta2, double eps, double weightDecay) {
    public static AdamWSettings defaults() {
        return new AdamWSettings(0.9, 0.999, 1e-8, 0.0);
    }
}
