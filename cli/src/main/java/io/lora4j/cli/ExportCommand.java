package io.lora4j.cli;

import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.TokenLines;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.export.DataImatrix;
import io.lora4j.export.Exporter;
import io.lora4j.export.ImatrixComparison;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.lora.AdapterLoader;
import io.lora4j.lora.LoraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lora4j export}: merge an adapter into its base and write GGUF files (and optionally a LoRA GGUF and an HF directory). */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Merge an adapter into the base and write quantized GGUF files, a llama.cpp LoRA GGUF and/or a merged HF directory.")
final class ExportCommand implements Callable<Integer> {
    @Mixin
    ModelOptions base;

    @Option(names = "--adapter", description = "PEFT adapter directory or llama.cpp LoRA GGUF (omit to convert the base alone)")
    Path adapter;

    @Option(names = "--type", split = ",", defaultValue = "Q8_0", description = "Comma-separated: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, IQ4_NL, IQ4_XS")
    List<String> types;

    @Option(names = "--adapter-gguf", description = "Also write the adapter itself as a llama.cpp LoRA GGUF (adapter.gguf)")
    boolean adapterGguf;

    @Option(names = "--hf", description = "Also write the merged model as a Hugging Face directory (hf/)")
    boolean hf;

    @Option(names = "--out", required = true, description = "Output directory")
    Path out;

    @Option(names = "--force", description = "Write into an existing, non-empty output directory")
    boolean force;

    @Option(names = "--report", description = "Print perplexity per type on --eval-text (or built-in prompts)")
    boolean report;

    @Option(names = "--eval-text", description = "Text file for the quality report and merge verification (one document per line)")
    Path evalText;

    @Option(names = "--threads", defaultValue = "0", description = "Quantization threads (default: all cores)")
    int threads;

    @Option(names = "--imatrix", paramLabel = "FILE", description = "Importance matrix from llama-imatrix (.dat), used as llama-quantize --imatrix does")
    Path imatrix;

    @Option(names = "--imatrix-from-data", description = "Compute the importance matrix with lora4j's forward pass of the merged model over --eval-text (one chunk per line), write it as imatrix.dat in --out and quantize with it")
    boolean imatrixFromData;

    @Override
    public Integer call() throws Exception {
        if (imatrixFromData && imatrix != null) throw new IllegalArgumentException("--imatrix and --imatrix-from-data exclude each other: give one importance matrix");
        List<QuantPreset> presets = new ArrayList<>();
        for (String t : types) presets.add(QuantPreset.parse(t.trim()));
        // the base is read tensor by tensor while the file is written (peak memory independent of the layer count);
        // only its config and tokenizer are loaded here
        io.lora4j.core.model.LlamaConfig config;
        Tokenizer tok;
        try (io.lora4j.export.ModelSource src = io.lora4j.export.ModelSource.open(base.model, java.util.Optional.ofNullable(base.tokenizer))) {
            config = src.config();
            tok = src.tokenizer().orElseThrow(() -> new IllegalArgumentException(base.model + ": this model has no tokenizer (pass --tokenizer)"));
        }
        LoraAdapter a = adapter == null ? null : AdapterLoader.load(adapter, config, 1f);
        List<int[]> eval = new ArrayList<>();
        List<String> texts = evalText != null ? Files.readAllLines(evalText) : List.of("Once upon a time, there was a little girl.",
                "Below is an instruction that describes a task. Write a response that appropriately completes the request.");
        for (String t : texts) if (!t.isBlank()) eval.add(Arrays.copyOf(tok.encode(t, true), Math.min(256, tok.encode(t, true).length)));
        Path matrix = imatrix;
        boolean overwrite = force;
        if (imatrixFromData) {
            refuseNonEmpty(out, force);
            Files.createDirectories(out);
            String dataset = evalText != null ? evalText.toString() : "built-in prompts";
            BaseModel b = base.load(); // the forward pass that collects the activations needs the model in memory
            matrix = DataImatrix.write(b, a, eval, out.resolve(DataImatrix.FILE_NAME), dataset, System.out);
            overwrite = true; // the directory was checked above; it now holds imatrix.dat
        }
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        List<Exporter.Row> rows = Exporter.export(base.model, java.util.Optional.ofNullable(base.tokenizer), a, out,
                new Exporter.Options(presets, adapterGguf, hf, overwrite, eval, null, n, matrix), System.out);
        if (report) System.out.print(Exporter.table(rows));
        if (report && matrix != null) {
            Exporter.Options plain = new Exporter.Options(presets, adapterGguf, hf, overwrite, eval, null, n, matrix);
            System.out.print(ImatrixComparison.withAndWithout(rows, plain, (dir, o) -> Exporter.export(base.model, java.util.Optional.ofNullable(base.tokenizer), a, dir, o,
                    new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))));
        }
        return 0;
    }

    /** The export's own check, made before imatrix.dat is written into the directory. */
    private static void refuseNonEmpty(Path out, boolean force) throws java.io.IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) throw new java.io.IOException("--out " + out + " is a file, expected an output directory");
        if (Files.exists(out) && !force) {
            try (var s = Files.list(out)) {
                if (s.findAny().isPresent()) throw new java.io.IOException(out + ": already exists and is not empty (use --force to overwrite)");
            }
        }
    }
}
