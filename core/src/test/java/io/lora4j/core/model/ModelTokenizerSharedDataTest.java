package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lora4j.core.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ModelLoader.tokenizer reads the tokenizer that load() attaches, without the weights (needs ../shared/data). */
class ModelTokenizerSharedDataTest {
    @Test
    void theTokenizerAloneIsTheLoadedModelsTokenizer(@TempDir Path tmp) throws Exception {
        for (String model : new String[] {"models/stories260K.gguf", "models/stories260K.bin"}) {
            Path path = SharedData.file(model);
            String loaded = ModelLoader.load(path).requireTokenizer().fingerprint();
            assertEquals(loaded, ModelLoader.tokenizer(path, Optional.empty()).fingerprint(), model);
        }
        Path override = SharedData.file("tokenizers/llama2_tokenizer.model");
        assertEquals(ModelLoader.load(SharedData.file("models/stories260K.gguf"), org.nd4j.linalg.api.buffer.DataType.FLOAT, Optional.of(override))
                .requireTokenizer().fingerprint(), ModelLoader.tokenizer(SharedData.file("models/stories260K.gguf"), Optional.of(override)).fingerprint());

        Path lone = Files.copy(SharedData.file("models/stories260K.bin"), tmp.resolve("stories260K.bin")); // no tokenizer beside it
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.tokenizer(lone, Optional.empty()));
        assertTrue(e.getMessage().contains("stories260K.bin") && e.getMessage().contains("no tokenizer"), e.getMessage());
    }
}
