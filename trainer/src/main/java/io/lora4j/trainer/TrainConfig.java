package io.lora4j.trainer;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The {@code train:} section of a run config. Defaults follow alpaca-lora where it has one.
 *
 * @param microBatch      examples per forward/backward
 * @param batch           examples per optimizer step (gradient accumulation = batch / micro_batch / workers)
 * @param epochs          passes over the training set (ignored when max_steps > 0)
 * @param maxSteps        optimizer steps; 0 = derive from epochs
 * @param lr              peak learning rate
 * @param schedule        constant | linear | cosine
 * @param warmupSteps     linear warm-up steps (takes precedence over warmup_ratio when > 0)
 * @param warmupRatio     warm-up as a fraction of the total steps
 * @param weightDecay     decoupled weight decay
 * @param optimizer       adamw8bit | adamw
 * @param beta1           Adam β1
 * @param beta2           Adam β2
 * @param eps             Adam ε
 * @param gradClip        clip the global gradient norm to this (0 = off)
 * @param evalEvery       evaluate every N steps (0 = only at the end)
 * @param saveEvery       checkpoint every N steps (0 = only at the end)
 * @param keepCheckpoints how many checkpoints to keep
 * @param seed            seed of shuffling, initialisation and dropout
 * @param recompute       recompute each block's activations in the backward pass (less memory, more compute)
 * @param samplePrompts   prompts whose greedy continuations are logged at each evaluation
 * @param sampleMaxTokens tokens generated per sample
 * @param maxEvalExamples cap on validation examples per evaluation (0 = all)
 */
public record TrainConfig(
        @JsonProperty("micro_batch") int microBatch,
        @JsonProperty("batch") int batch,
        @JsonProperty("epochs") double epochs,
        @JsonProperty("max_steps") int maxSteps,
        @JsonProperty("lr") double lr,
        @JsonProperty("schedule") String schedule,
        @JsonProperty("warmup_steps") int warmupSteps,
        @JsonProperty("warmup_ratio") double warmupRatio,
        @JsonProperty("weight_decay") double weightDecay,
        @JsonProperty("optimizer") String optimizer,
        @JsonProperty("beta1") double beta1,
        @JsonProperty("beta2") double beta2,
        @JsonProperty("eps") double eps,
        @JsonProperty("grad_clip") double gradClip,
        @JsonProperty("eval_every") int evalEvery,
        @JsonProperty("save_every") int saveEvery,
        @JsonProperty("keep_checkpoints") int keepCheckpoints,
        @JsonProperty("seed") long seed,
        @JsonProperty("recompute") boolean recompute,
        @JsonProperty("sample_prompts") List<String> samplePrompts,
        @JsonProperty("sample_max_tokens") int sampleMaxTokens,
        @JsonProperty("max_eval_examples") int maxEvalExamples) {

    public static final List<String> SCHEDULES = List.of("constant", "linear", "cosine");
    public static final List<String> OPTIMIZERS = List.of("adamw8bit", "adamw");

    public TrainConfig {
        if (microBatch <= 0) throw bad("micro_batch", microBatch, "a positive number of examples");
        if (batch <= 0 || batch % microBatch != 0) throw bad("batch", batch, "a positive multiple of micro_batch (" + microBatch + ")");
        if (maxSteps < 0) throw bad("max_steps", maxSteps, ">= 0");
        if (maxSteps == 0 && !(epochs > 0)) throw bad("epochs", epochs, "> 0 when max_steps is 0");
        if (!(lr > 0) || !Double.isFinite(lr)) throw bad("lr", lr, "a positive learning rate");
        if (schedule == null) schedule = "linear";
        if (!SCHEDULES.contains(schedule)) throw bad("schedule", schedule, "one of " + SCHEDULES);
        if (warmupSteps < 0) throw bad("warmup_steps", warmupSteps, ">= 0");
        if (!(warmupRatio >= 0 && warmupRatio < 1)) throw bad("warmup_ratio", warmupRatio, "in [0, 1)");
        if (!(weightDecay >= 0)) throw bad("weight_decay", weightDecay, ">= 0");
        if (optimizer == null) optimizer = "adamw8bit";
        if (!OPTIMIZERS.contains(optimizer)) throw bad("optimizer", optimizer, "one of " + OPTIMIZERS);
        if (beta1 == 0 && beta2 == 0 && eps == 0) {
            beta1 = 0.9;
            beta2 = 0.999;
            eps = 1e-8;
        }
        if (!(beta1 >= 0 && beta1 < 1)) throw bad("beta1", beta1, "in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw bad("beta2", beta2, "in [0, 1)");
        if (!(eps > 0)) throw bad("eps", eps, "> 0");
        if (!(gradClip >= 0)) throw bad("grad_clip", gradClip, ">= 0 (0 turns clipping off)");
        if (evalEvery < 0) throw bad("eval_every", evalEvery, ">= 0");
        if (saveEvery < 0) throw bad("save_every", saveEvery, ">= 0");
        if (keepCheckpoints <= 0) keepCheckpoints = 3;
        if (samplePrompts == null) samplePrompts = List.of();
        if (sampleMaxTokens <= 0) sampleMaxTokens = 48;
        if (maxEvalExamples < 0) throw bad("max_eval_examples", maxEvalExamples, ">= 0");
    }

    private static IllegalArgumentException bad(String key, Object value, String expected) {
        return new IllegalArgumentException("train." + key + " = " + value + ": expected " + expected);
    }

    /** alpaca-lora's recipe: micro batch 4, batch 128, 3 epochs, lr 3e-4, linear schedule with 100 warm-up steps. */
    public static TrainConfig alpacaLora() {
        return new TrainConfig(4, 128, 3, 0, 3e-4, "linear", 100, 0, 0, "adamw8bit", 0.9, 0.999, 1e-8, 1.0, 200, 200, 3, 42, false, List.of(), 48, 0);
    }

    /** Gradient-accumulation steps per worker. */
    public int accumulation(int workers) {
        return Math.max(1, batch / microBatch / workers);
    }
}
