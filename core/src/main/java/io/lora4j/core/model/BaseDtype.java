package io.lora4j.core.model;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * How the frozen base matrices are held in memory ({@code train.base_dtype}). AUTO keeps each as its file stores it
 * (memory-mapped where possible: GGUF tensors of any type lora4j can expand, safetensors F16/BF16); the others convert
 * at load — F32/BF16/F16 to ND4J arrays of that type, Q8_0/Q4_0 by quantizing with ggml's reference quantizers.
 * Norm weights and biases always stay fp32; activations, LoRA parameters and their gradients are fp32 in every mode.
 */
public enum BaseDtype {
    AUTO, F32, BF16, F16, Q8_0, Q4_0;

    @JsonValue
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
