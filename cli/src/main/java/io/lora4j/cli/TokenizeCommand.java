package io.lora4j.cli;

import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import io.lora4j.core.model.ModelLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lora4j tokenize}: text → ids as a JSON array, or ids → text. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Encode text to token ids (JSON array on stdout), or decode ids with --decode.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "Model or tokenizer: .gguf, tokenizer.model, tokenizer.json, HF directory or llama2.c .bin")
    Path model;

    @Option(names = "--no-bos", description = "Do not put BOS first")
    boolean noBos;

    @ArgGroup(multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", description = "Text to encode") String text;
        @Option(names = "--decode", description = "Space- or comma-separated ids to decode") String decode;
    }

    @Override
    public Integer call() throws Exception {
        Tokenizer tok = load(model);
        if (input.decode != null) {
            int[] ids = Arrays.stream(input.decode.trim().replaceAll("[\\[\\],]", " ").trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
            System.out.println(tok.decode(ids));
        } else {
            int[] ids = tok.encode(input.text, !noBos);
            System.out.println(Arrays.stream(ids).mapToObj(String::valueOf).collect(Collectors.joining(", ", "[", "]")));
        }
        return 0;
    }

    static Tokenizer load(Path model) throws Exception {
        String n = model.getFileName().toString();
        if (n.endsWith(".model") || n.endsWith(".json")) return Tokenizers.load(model);
        if (n.endsWith(".gguf")) return Tokenizers.load(model); // vocab-only GGUFs have no weights
        return ModelLoader.load(model).requireTokenizer();
    }
}
