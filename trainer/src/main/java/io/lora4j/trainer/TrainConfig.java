package io.lora4j.trainer;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import io.lora4j.core.config.Check;
import io.lora4j.core.model.BaseDtype;
import java.util.List;
import java.util.Locale;

/**
 * The {@code train:} section of a run config, bound strictly: an absent key takes the default (alpaca-lora's where it
 * has one), a present key is used exactly as written or refused naming the key, the value and what is allowed.
 *
 * @param microBatch      examples per forward/backward
 * @param batch           examples per optimizer step (gradient accumulation = batch / micro_batch / workers)
 * @param epochs          passes over the training set (default 3; ignored when max_steps is given)
 * @param maxSteps        optimizer steps; null = derive from epochs
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
 * @param baseDtype       how the frozen base matrices are held: auto (as the file stores them, memory-mapped) | f32 |
 *                        bf16 | f16 | q8_0 | q4_0 (quantized at load); LoRA parameters and their math stay fp32
 */
public record TrainConfig(
        @JsonProperty("micro_batch") Integer microBatch,
        @JsonProperty("batch") Integer batch,
        @JsonProperty("epochs") Double epochs,
        @JsonProperty("max_steps") Integer maxSteps,
        @JsonProperty("lr") Double lr,
        @JsonProperty("schedule") Schedule schedule,
        @JsonProperty("warmup_steps") Integer warmupSteps,
        @JsonProperty("warmup_ratio") Double warmupRatio,
        @JsonProperty("weight_decay") Double weightDecay,
        @JsonProperty("optimizer") Optimizer optimizer,
        @JsonProperty("beta1") Double beta1,
        @JsonProperty("beta2") Double beta2,
        @JsonProperty("eps") Double eps,
        @JsonProperty("grad_clip") Double gradClip,
        @JsonProperty("eval_every") Integer evalEvery,
        @JsonProperty("save_every") Integer saveEvery,
        @JsonProperty("keep_checkpoints") Integer keepCheckpoints,
        @JsonProperty("seed") Long seed,
        @JsonProperty("recompute") Boolean recompute,
        @JsonProperty("sample_prompts") List<String> samplePrompts,
        @JsonProperty("sample_max_tokens") Integer sampleMaxTokens,
        @JsonProperty("max_eval_examples") Integer maxEvalExamples,
        @JsonProperty("base_dtype") BaseDtype baseDtype) {

    /** Learning-rate schedules (Hugging Face's formulas), with linear warm-up. */
    public enum Schedule {
        CONSTANT, LINEAR, COSINE;

        @JsonValue
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** AdamW with bitsandbytes-style block-wise 8-bit state, or with fp32 state. */
    public enum Optimizer {
        ADAMW8BIT, ADAMW;

        @JsonValue
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public TrainConfig {
        microBatch = Check.atLeast("train.micro_batch", microBatch, 1, 4);
        batch = Check.atLeast("train.batch", batch, 1, Math.max(128 / microBatch, 1) * microBatch);
        if (batch % microBatch != 0) throw Check.bad("train.batch", batch, "a positive multiple of micro_batch (" + microBatch + ")");
        if (maxSteps != null) Check.atLeast("train.max_steps", maxSteps, 1, 1);
        epochs = Check.positive("train.epochs", epochs, 3);
        lr = Check.positive("train.lr", lr, 3e-4);
        if (schedule == null) schedule = Schedule.LINEAR;
        warmupSteps = Check.atLeast("train.warmup_steps", warmupSteps, 0, 0);
        warmupRatio = Check.range("train.warmup_ratio", warmupRatio, 0, 1, true, 0);
        weightDecay = Check.nonNegative("train.weight_decay", weightDecay, 0);
        if (optimizer == null) optimizer = Optimizer.ADAMW8BIT;
        beta1 = Check.range("train.beta1", beta1, 0, 1, true, 0.9);
        beta2 = Check.range("train.beta2", beta2, 0, 1, true, 0.999);
        eps = Check.positive("train.eps", eps, 1e-8);
        gradClip = Check.nonNegative("train.grad_clip", gradClip, 0);
        evalEvery = Check.atLeast("train.eval_every", evalEvery, 0, 0);
        saveEvery = Check.atLeast("train.save_every", saveEvery, 0, 0);
        keepCheckpoints = Check.atLeast("train.keep_checkpoints", keepCheckpoints, 1, 3);
        if (seed == null) seed = 0L;
        if (recompute == null) recompute = false;
        samplePrompts = samplePrompts == null ? List.of() : List.copyOf(samplePrompts);
        sampleMaxTokens = Check.atLeast("train.sample_max_tokens", sampleMaxTokens, 1, 48);
        maxEvalExamples = Check.atLeast("train.max_eval_examples", maxEvalExamples, 0, 0);
        if (baseDtype == null) baseDtype = BaseDtype.AUTO;
    }

    /** Without base_dtype (auto): the key came later than the callers of this constructor. */
    public TrainConfig(Integer microBatch, Integer batch, Double epochs, Integer maxSteps, Double lr, Schedule schedule, Integer warmupSteps,
                       Double warmupRatio, Double weightDecay, Optimizer optimizer, Double beta1, Double beta2, Double eps, Double gradClip,
                       Integer evalEvery, Integer saveEvery, Integer keepCheckpoints, Long seed, Boolean recompute, List<String> samplePrompts,
                       Integer sampleMaxTokens, Integer maxEvalExamples) {
        this(microBatch, batch, epochs, maxSteps, lr, schedule, warmupSteps, warmupRatio, weightDecay, optimizer, beta1, beta2, eps, gradClip,
                evalEvery, saveEvery, keepCheckpoints, seed, recompute, samplePrompts, sampleMaxTokens, maxEvalExamples, null);
    }

    /** alpaca-lora's recipe: micro batch 4, batch 128, 3 epochs, lr 3e-4, linear schedule with 100 warm-up steps. */
    public static TrainConfig alpacaLora() {
        return new TrainConfig(4, 128, 3.0, null, 3e-4, Schedule.LINEAR, 100, 0.0, 0.0, Optimizer.ADAMW8BIT, 0.9, 0.999, 1e-8, 1.0, 200, 200, 3, 42L, false,
                List.of(), 48, 0);
    }

    /** Optimizer steps of a run over {@code trainSize} examples: max_steps when given, else epochs × batches per epoch. */
    public long totalSteps(int trainSize) {
        if (maxSteps != null) return maxSteps;
        long perEpoch = (trainSize + batch - 1) / batch;
        return Math.max(1, (long) Math.ceil(epochs * perEpoch));
    }

    /** Gradient-accumulation steps per worker. */
    public int accumulation(int workers) {
        return Math.max(1, batch / microBatch / workers);
    }
}
