package io.lora4j.core.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The model families lora4j runs: all are the LLaMA block (RMSNorm, RoPE, GQA attention, SwiGLU MLP) with
 * family-specific details held in {@link LlamaConfig} (q/k/v biases, RoPE scaling, sliding window, tied embeddings).
 * The names are what a checkpoint declares: Hugging Face {@code model_type} and GGUF {@code general.architecture}.
 */
public enum Architecture {
    LLAMA("llama", "LlamaForCausalLM", "llama"),
    MISTRAL("mistral", "MistralForCausalLM", "llama"), // llama.cpp converts Mistral to its llama architecture
    QWEN2("qwen2", "Qwen2ForCausalLM", "qwen2");

    public final String hfModelType;
    public final String hfClass;
    public final String ggufArch;

    Architecture(String hfModelType, String hfClass, String ggufArch) {
        this.hfModelType = hfModelType;
        this.hfClass = hfClass;
        this.ggufArch = ggufArch;
    }

    /**
     * Whether GGUF stores Q/K rows interleaved (llama.cpp's "normal" RoPE: the converter permutes them, see
     * {@link QkPermutation}); qwen2 uses NeoX RoPE, which is Hugging Face's rotate-half order, unpermuted.
     */
    public boolean ggufPermutesQk() {
        return ggufArch.equals("llama");
    }

    /** The family of a Hugging Face {@code model_type}, or empty. */
    public static java.util.Optional<Architecture> fromHfModelType(String type) {
        return Arrays.stream(values()).filter(a -> a.hfModelType.equals(type)).findFirst();
    }

    /** GGUF architecture → family (a llama GGUF may be a converted Mistral: the math is the same). */
    public static java.util.Optional<Architecture> fromGguf(String arch) {
        return Arrays.stream(values()).filter(a -> a.ggufArch.equals(arch)).findFirst();
    }

    public static String supportedHf() {
        return Arrays.stream(values()).map(a -> "'" + a.hfModelType + "'").collect(Collectors.joining(", "));
    }

    public static String supportedGguf() {
        return Arrays.stream(values()).map(a -> "'" + a.ggufArch + "'").distinct().collect(Collectors.joining(", "));
    }
}
