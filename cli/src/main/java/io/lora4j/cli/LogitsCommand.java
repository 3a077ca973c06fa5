package io.lora4j.cli;

import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.TokenLines;
import io.lora4j.lora.AdapterLoader;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lora4j logits}: float32 logits for token lines, in the format of llama.cpp's reference files. */
@Command(name = "logits", mixinStandardHelpOptions = true, description = "For each line of token ids, evaluated from position 0, append one float32 LE row of logits per position to OUT.")
final class LogitsCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--adapter", description = "LoRA adapter: a PEFT directory or a llama.cpp LoRA GGUF")
    Path adapter;

    @Option(names = "--adapter-scale", defaultValue = "1.0", description = "Multiplier on the adapter (llama.cpp --lora-scaled)")
    float adapterScale;

    @Option(names = "--tokens", required = true, description = "Text file: one sequence of space-separated ids per line")
    Path tokens;

    @Option(names = "--out", required = true, description = "Output .f32 file")
    Path out;

    @Option(names = "--llama-cpp-kv-f16", description = "Round attention operands to fp16 like llama.cpp's default KV cache")
    boolean kvF16;

    @Override
    public Integer call() throws Exception {
        BaseModel base = modelOptions.load();
        LlamaModel model = new LlamaModel(base.config(), base.weights());
        if (adapter != null) model = AdapterLoader.load(adapter, base.config(), adapterScale).attach(model);
        model.emulateF16KvCache(kvF16);
        List<int[]> lines = TokenLines.readTokens(tokens);
        long rows = 0;
        try (OutputStream os = Files.newOutputStream(out)) {
            for (int[] ids : lines) {
                float[][] logits = model.logits(new int[][] {ids}).toFloatMatrix();
                os.write(TokenLines.toBytes(logits));
                rows += logits.length;
            }
        }
        System.err.printf("wrote %d rows of %d logits to %s%n", rows, base.config().vocabSize(), out);
        return 0;
    }
}
