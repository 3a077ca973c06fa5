package io.lora4j.cli;

import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.ModelLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Option;

/** The options every command that loads a base model shares. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, required = true, description = "Base model: a .gguf file, a Hugging Face directory, or a llama2.c .bin")
    Path model;

    @Option(names = "--tokenizer", description = "Tokenizer file or directory (overrides the model's own)")
    Path tokenizer;

    @Option(names = "--weights", defaultValue = "f32", description = "How frozen weights are held in memory: f32, f16 or bf16 (default: ${DEFAULT-VALUE})")
    String weights;

    BaseModel load() throws IOException {
        DataType type = switch (weights) {
            case "f32" -> DataType.FLOAT;
            case "f16" -> DataType.HALF;
            case "bf16" -> DataType.BFLOAT16;
            default -> throw new IllegalArgumentException("--weights " + weights + ": expected f32, f16 or bf16");
        };
        return ModelLoader.load(model, type, Optional.ofNullable(tokenizer));
    }
}
