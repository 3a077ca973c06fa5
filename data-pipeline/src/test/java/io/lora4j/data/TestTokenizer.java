package io.lora4j.data;

import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.gguf.GgufWriter;
import io.lora4j.core.tokenizer.SpmBpeTrainer;
import io.lora4j.core.tokenizer.TokenizerModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** A small SentencePiece-BPE vocabulary (byte fallback, so any text encodes) written as a GGUF file for the job to load. */
final class TestTokenizer {
    private TestTokenizer() {}

    static Path write(Path file, List<String> corpus, int vocab) throws IOException {
        TokenizerModel m = SpmBpeTrainer.train(corpus, vocab);
        new GgufWriter().put("general.architecture", GgufValue.string("llama"))
                .put("tokenizer.ggml.model", GgufValue.string("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.stringArray(m.tokens()))
                .put("tokenizer.ggml.scores", GgufValue.float32Array(m.scores()))
                .put("tokenizer.ggml.token_type", GgufValue.int32Array(m.tokenTypes()))
                .write(file);
        return file;
    }
}
