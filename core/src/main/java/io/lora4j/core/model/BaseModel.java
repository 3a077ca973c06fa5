package io.lora4j.core.model;

import io.lora4j.core.tokenizer.Tokenizer;
import java.util.Optional;

/**
 * A loaded base model: its hyperparameters, frozen weights and (when the source has one) its tokenizer.
 *
 * @param name   a short name (general.name, the directory name, …)
 * @param source the file or directory it was read from
 */
public record BaseModel(String name, String source, LlamaConfig config, LlamaWeights weights, Optional<Tokenizer> tokenizer) {

    /** The tokenizer, or a clear error naming the model when it has none. */
    public Tokenizer requireTokenizer() {
        return tokenizer.orElseThrow(() -> noTokenizer(source));
    }

    static IllegalStateException noTokenizer(String source) {
        return new IllegalStateException(source + ": this model has no tokenizer (for a llama2.c .bin put tokenizer.model or tok<vocab>.model"
                + " beside it, or pass --tokenizer)");
    }
}
