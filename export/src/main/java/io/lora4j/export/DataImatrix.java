package io.lora4j.export;

import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.export.quant.ImatrixCollector;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraMerge;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * export --imatrix-from-data: the importance matrix of the merged model on the fine-tune's own evaluation
 * sequences, written as llama-imatrix's legacy .dat so that both lora4j's and llama.cpp's quantizers can use it.
 */
public final class DataImatrix {
    public static final String FILE_NAME = "imatrix.dat";

    private DataImatrix() {}

    /** Each sequence is one call, as one llama-imatrix chunk; every sequence counts, however short. */
    public static Path write(BaseModel base, LoraAdapter adapter, List<int[]> sequences, Path file, String dataset, PrintStream log) throws IOException {
        if (sequences.stream().allMatch(s -> s.length == 0)) throw new IllegalArgumentException("--imatrix-from-data: the evaluation text has no tokens");
        LlamaWeights weights = adapter == null ? base.weights() : LoraMerge.merge(base.weights(), adapter);
        ImatrixCollector c = ImatrixCollector.collect(base.config(), weights, sequences, 1);
        c.write(file, dataset);
        long tokens = sequences.stream().mapToLong(s -> s.length).sum();
        log.printf("wrote %s: importance matrix of the %s model over %d sequences (%,d tokens), %d entries%n", file,
                adapter == null ? "base" : "merged", sequences.size(), tokens, c.stats().size());
        return file;
    }
}
