package io.lora4j.cli;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufTensorInfo;
import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.model.HfCheckpoint;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.safetensors.SafetensorsFile;
import io.lora4j.core.safetensors.SafetensorsTensor;
import io.lora4j.core.safetensors.ShardedSafetensors;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lora4j inspect FILE}: what a GGUF, safetensors file or model directory holds. */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show architecture, dimensions, tensors and tokenizer of a GGUF, safetensors file or HF directory.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "GGUF file, .safetensors file, Hugging Face directory or llama2.c .bin")
    Path file;

    @Option(names = "--all-tensors", description = "List every tensor (default: the first 24)")
    boolean allTensors;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        String name = file.getFileName().toString();
        if (!Files.exists(file)) throw new IllegalArgumentException(file + ": no such file or directory");
        if (name.endsWith(".gguf")) {
            inspectGguf(out);
        } else if (name.endsWith(".safetensors")) {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                out.println(file + ": safetensors, " + f.tensors().size() + " tensors, metadata " + f.metadata());
                int shown = 0;
                for (SafetensorsTensor t : f.tensors()) if (allTensors || shown++ < 24) out.println("  " + t);
            }
        } else if (Files.isDirectory(file)) {
            if (!Files.exists(file.resolve("config.json"))) {
                throw new IllegalArgumentException(file + ": is a directory without config.json, expected a model file or a Hugging Face model directory");
            }
            LlamaConfig c = HfCheckpoint.readConfig(file.resolve("config.json"));
            out.println(file + ": Hugging Face LLaMA directory");
            printConfig(out, c);
            try (ShardedSafetensors s = ShardedSafetensors.open(file)) {
                out.println("tensors: " + s.names().size());
                int shown = 0;
                for (String t : s.names()) if (allTensors || shown++ < 24) out.println("  " + s.tensor(t));
            }
            for (String t : new String[] {"tokenizer.json", "tokenizer.model"}) {
                if (Files.exists(file.resolve(t))) {
                    printTokenizer(out, Tokenizers.load(file.resolve(t)));
                    break;
                }
            }
        } else {
            BaseModel m = ModelLoader.load(file);
            out.println(file + ": llama2.c checkpoint");
            printConfig(out, m.config());
            m.tokenizer().ifPresent(t -> printTokenizer(out, t));
        }
        return 0;
    }

    private void inspectGguf(PrintStream out) throws Exception {
        try (GgufFile f = GgufFile.open(file)) {
            out.printf("%s: GGUF v%d, %d tensors, %d metadata keys, alignment %d%n", file, f.version(), f.tensors().size(), f.metadata().keys().size(), f.alignment());
            for (Map.Entry<String, GgufValue> e : f.metadata().asMap().entrySet()) {
                if (e.getKey().startsWith("tokenizer.ggml.") && e.getValue().length() > 8) continue;
                out.println("  " + e.getKey() + " = " + e.getValue());
            }
            String type = f.metadata().getString("general.type", "model");
            if (type.equals("model") && f.metadata().getString("general.architecture", "").equals("llama") && f.tensor("token_embd.weight").isPresent()) {
                printConfig(out, io.lora4j.core.model.GgufCheckpoint.config(f));
            }
            out.println("tensors:");
            int shown = 0;
            for (GgufTensorInfo t : f.tensors()) {
                if (!allTensors && shown++ >= 24) {
                    out.println("  … " + (f.tensors().size() - 24) + " more (--all-tensors)");
                    break;
                }
                out.printf("  %-32s %-5s ne=%s%n", t.name(), t.type(), Arrays.toString(t.ne()));
            }
            if (f.metadata().contains("tokenizer.ggml.model")) printTokenizer(out, Tokenizers.of(Tokenizers.fromGguf(f.metadata(), file.toString())));
        }
    }

    static void printConfig(PrintStream out, LlamaConfig c) {
        out.printf("architecture: llama, d %d, layers %d, heads %d (kv %d, head dim %d), ff %d, vocab %d, context %d, rope θ %.0f, rms ε %.0e, %s embeddings, %,d parameters%n",
                c.dim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.headDim(), c.hiddenDim(), c.vocabSize(), c.contextLength(), c.ropeTheta(), c.rmsNormEps(),
                c.tiedEmbeddings() ? "tied" : "separate output", c.parameterCount());
    }

    static void printTokenizer(PrintStream out, Tokenizer t) {
        out.println("tokenizer: " + t + ", fingerprint " + t.fingerprint().substring(0, 16));
    }
}
