package io.lora4j.core.model;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Loads a base model from whatever the user has: a GGUF file, a Hugging Face directory (config.json + safetensors),
 * or a llama2.c {@code .bin} checkpoint, into one {@link LlamaConfig} + {@link LlamaWeights} (+ tokenizer).
 */
public final class ModelLoader {
    private ModelLoader() {}

    public static BaseModel load(Path path) throws IOException {
        return load(path, DataType.FLOAT, Optional.empty());
    }

    /**
     * @param weightType how frozen weights are held: FLOAT, HALF or BFLOAT16
     * @param tokenizer  a tokenizer file or directory overriding the one found with the model
     */
    public static BaseModel load(Path path, DataType weightType, Optional<Path> tokenizer) throws IOException {
        return load(path, tokenizer, (c, src) -> LlamaWeights.load(c, src, weightType));
    }

    /**
     * @param dtype     how frozen matrices are held: AUTO as the file stores them (memory-mapped where possible), or
     *                  converted to F32, F16, BF16, Q8_0 or Q4_0 at load
     * @param tokenizer a tokenizer file or directory overriding the one found with the model
     */
    public static BaseModel load(Path path, BaseDtype dtype, Optional<Path> tokenizer) throws IOException {
        return load(path, tokenizer, (c, src) -> LlamaWeights.load(c, src, dtype));
    }

    @FunctionalInterface
    private interface WeightsLoader {
        LlamaWeights load(LlamaConfig c, WeightSource source) throws IOException;
    }

    private static BaseModel load(Path path, Optional<Path> tokenizer, WeightsLoader weights) throws IOException {
        if (!Files.exists(path)) throw new ModelFormatException(path + ": no such file or directory");
        String name = path.getFileName().toString();
        if (Files.isDirectory(path)) {
            try (HfCheckpoint ckpt = HfCheckpoint.open(path)) {
                Optional<Tokenizer> tok = tokenizer.isPresent() ? Optional.of(Tokenizers.load(tokenizer.get())) : hfTokenizer(path);
                return new BaseModel(name, path.toString(), ckpt.config(), weights.load(ckpt.config(), ckpt), tok);
            }
        }
        if (name.endsWith(".gguf")) {
            try (GgufFile f = GgufFile.open(path)) {
                GgufCheckpoint ckpt = GgufCheckpoint.of(f);
                Optional<Tokenizer> tok = tokenizer.isPresent() ? Optional.of(Tokenizers.load(tokenizer.get()))
                        : f.metadata().contains("tokenizer.ggml.model") ? Optional.of(Tokenizers.of(Tokenizers.fromGguf(f.metadata(), path.toString())))
                        : Optional.empty();
                String modelName = f.metadata().getString("general.name", name);
                return new BaseModel(modelName, path.toString(), ckpt.config(), weights.load(ckpt.config(), ckpt), tok);
            }
        }
        if (name.endsWith(".bin")) {
            Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(path);
            Optional<Tokenizer> tok = tokenizer.isPresent() ? Optional.of(Tokenizers.load(tokenizer.get())) : llama2cTokenizer(path, ckpt.config().vocabSize());
            return new BaseModel(name.replaceFirst("\\.bin$", ""), path.toString(), ckpt.config(), weights.load(ckpt.config(), ckpt), tok);
        }
        throw new ModelFormatException(path + ": unknown model format (expected a .gguf file, a Hugging Face directory with config.json, or a llama2.c .bin)");
    }

    /**
     * The tokenizer {@link #load(Path, DataType, Optional)} would attach, read without the weights (GGUF metadata,
     * the tokenizer file beside the checkpoint): cheap enough to call before deciding whether the model is needed.
     */
    public static Tokenizer tokenizer(Path path, Optional<Path> tokenizer) throws IOException {
        return Tokenizers.load(TokenizerLocator.locate(path, tokenizer));
    }

    private static Optional<Tokenizer> hfTokenizer(Path dir) throws IOException {
        for (String f : new String[] {"tokenizer.json", "tokenizer.model"}) {
            if (Files.exists(dir.resolve(f))) return Optional.of(Tokenizers.load(dir.resolve(f)));
        }
        return Optional.empty();
    }

    /** llama2.c keeps the tokenizer beside the checkpoint: tokenizer.model, or tok&lt;vocab&gt;.model for custom vocabularies. */
    private static Optional<Tokenizer> llama2cTokenizer(Path bin, int vocab) throws IOException {
        Path dir = bin.toAbsolutePath().getParent();
        for (String f : new String[] {"tokenizer.model", "tok" + vocab + ".model"}) {
            if (Files.exists(dir.resolve(f))) return Optional.of(Tokenizers.load(dir.resolve(f)));
        }
        return Optional.empty();
    }
}
