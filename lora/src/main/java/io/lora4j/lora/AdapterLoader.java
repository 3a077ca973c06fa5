package io.lora4j.lora;

import io.lora4j.core.model.LlamaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads an adapter from either format: a PEFT directory or a llama.cpp LoRA GGUF. */
public final class AdapterLoader {
    private AdapterLoader() {}

    /** {@code scale} multiplies the adapter's effect (llama.cpp's --lora-scaled); 1 leaves it as trained. */
    public static LoraAdapter load(Path path, LlamaConfig model, float scale) throws IOException {
        LoraAdapter a = Files.isDirectory(path) ? PeftAdapterIO.load(path, model) : LlamaCppLoraReader.read(path, model);
        if (scale != 1f) for (LoraModule m : a.modules()) m.b().muli(scale);
        return a;
    }
}
