package io.lora4j.export;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.GgufCheckpoint;
import io.lora4j.core.model.HfCheckpoint;
import io.lora4j.core.model.InMemoryWeights;
import io.lora4j.core.model.Llama2cCheckpoint;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.ModelFormatException;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.WeightSource;
import io.lora4j.core.tokenizer.Tokenizer;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A base model as the exporter reads it: its config, name and tokenizer, and its weights one tensor at a time (Hugging
 * Face names and order, fp32). Opened on a file, nothing is loaded up front: each read maps and converts one tensor,
 * so an export's memory does not grow with the number of layers.
 */
public record ModelSource(String name, String source, LlamaConfig config, WeightSource weights, Optional<Tokenizer> tokenizer, Closeable resource)
        implements Closeable {

    /** Opens a GGUF file, a Hugging Face directory or a llama2.c .bin without reading its weights. */
    public static ModelSource open(Path path, Optional<Path> tokenizer) throws IOException {
        if (!Files.exists(path)) throw new ModelFormatException(path + ": no such file or directory");
        String file = path.getFileName().toString();
        Optional<Tokenizer> tok = tokenizerOf(path, tokenizer);
        if (Files.isDirectory(path)) {
            HfCheckpoint c = HfCheckpoint.open(path);
            return new ModelSource(file, path.toString(), c.config(), c, tok, c::close);
        }
        if (file.endsWith(".gguf")) {
            GgufFile f = GgufFile.open(path);
            try {
                GgufCheckpoint c = GgufCheckpoint.of(f);
                return new ModelSource(f.metadata().getString("general.name", file), path.toString(), c.config(), c, tok, f::close);
            } catch (IOException | RuntimeException e) {
                f.close();
                throw e;
            }
        }
        if (file.endsWith(".bin")) { // llama2.c checkpoints are small (tinystories-sized): read eagerly by their reader
            Llama2cCheckpoint c = Llama2cCheckpoint.open(path);
            return new ModelSource(file.replaceFirst("\\.bin$", ""), path.toString(), c.config(), copying(c), tok, () -> {});
        }
        throw new ModelFormatException(path + ": unknown model format (expected a .gguf file, a Hugging Face directory with config.json, or a llama2.c .bin)");
    }

    /** The llama2.c reader hands out the arrays it holds; the merge adds into what it reads, so give it copies. */
    private static WeightSource copying(WeightSource s) {
        return new WeightSource() {
            @Override
            public float[] read(String hfName, long... shape) throws IOException {
                return s.read(hfName, shape).clone();
            }

            @Override
            public boolean contains(String hfName) {
                return s.contains(hfName);
            }

            @Override
            public Optional<java.util.Set<String>> tensorNames() {
                return s.tensorNames();
            }

            @Override
            public String describe() {
                return s.describe();
            }
        };
    }

    private static Optional<Tokenizer> tokenizerOf(Path path, Optional<Path> tokenizer) throws IOException {
        try {
            return Optional.of(ModelLoader.tokenizer(path, tokenizer));
        } catch (IOException e) {
            if (tokenizer.isPresent()) throw e;
            return Optional.empty(); // the exporter names the missing tokenizer with its own message
        }
    }

    /** An already loaded model (its weights held in memory) as a source. */
    public static ModelSource of(BaseModel b) {
        return new ModelSource(b.name(), b.source(), b.config(), inMemory(b.config(), b.weights()), b.tokenizer(), () -> {});
    }

    /** In-memory weights by Hugging Face name; values as the old writer took them (cast to fp32, row-major). */
    static WeightSource inMemory(LlamaConfig c, LlamaWeights w) {
        return new InMemoryWeights(c, w);
    }

    @Override
    public void close() throws IOException {
        resource.close();
    }
}
