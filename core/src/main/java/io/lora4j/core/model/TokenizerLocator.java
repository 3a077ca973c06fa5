package io.lora4j.core.model;

import io.lora4j.core.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a model's tokenizer is, for every command (prepare, train, run, generate): the one place that knows a
 * Hugging Face directory keeps tokenizer.json or tokenizer.model, a GGUF file carries its own, and a llama2.c
 * checkpoint has tokenizer.model (or tok&lt;vocab&gt;.model) beside it. The returned path is what
 * {@code Tokenizers.load} reads.
 */
public final class TokenizerLocator {
    private TokenizerLocator() {}

    /** The tokenizer of {@code model}, or {@code override} when given; fails naming the path when there is none. */
    public static Path locate(Path model, Optional<Path> override) throws IOException {
        if (override.isPresent()) {
            Path t = override.get();
            if (!Files.exists(t)) throw new ModelFormatException("tokenizer " + t + ": no such file or directory");
            return t;
        }
        String name = model.getFileName().toString();
        if (name.endsWith(".bin")) { // llama2.c: the tokenizer lives beside the checkpoint, whose header gives the vocabulary size
            Path dir = model.toAbsolutePath().getParent();
            if (Files.exists(dir.resolve("tokenizer.model"))) return dir.resolve("tokenizer.model");
            if (!Files.exists(model)) throw new ModelFormatException(model + ": no such file (and no tokenizer.model beside it)");
            int vocab = Llama2cCheckpoint.open(model).config().vocabSize();
            if (Files.exists(dir.resolve("tok" + vocab + ".model"))) return dir.resolve("tok" + vocab + ".model");
            throw noTokenizer(model);
        }
        if (!Files.exists(model)) throw new ModelFormatException(model + ": no such file or directory");
        if (Files.isDirectory(model)) {
            for (String f : new String[] {"tokenizer.json", "tokenizer.model"}) if (Files.exists(model.resolve(f))) return model.resolve(f);
            throw noTokenizer(model);
        }
        if (name.endsWith(".gguf")) {
            try (GgufFile f = GgufFile.open(model)) {
                if (!f.metadata().contains("tokenizer.ggml.model")) throw noTokenizer(model);
            }
            return model;
        }
        if (name.endsWith(".model") || name.endsWith(".json")) return model; // a tokenizer file given as the model
        throw new ModelFormatException(model + ": unknown model format (expected a .gguf file, a Hugging Face directory with config.json, or a llama2.c .bin)");
    }

    private static ModelFormatException noTokenizer(Path model) {
        return new ModelFormatException(model + ": this model has no tokenizer (for a llama2.c .bin put tokenizer.model or tok<vocab>.model beside it;"
                + " or give a tokenizer: tokenizer.json, tokenizer.model or a GGUF)");
    }
}
