package io.lora4j.export;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.GgufCheckpoint;
import io.lora4j.core.model.HfModelWriter;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.WeightSource;
import io.lora4j.core.safetensors.SafetensorsDType;
import io.lora4j.core.tokenizer.HfTokenizerWriter;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.export.quant.ImportanceMatrix;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.lora.LoraAdapter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Merge an adapter into its base and write the deliverables: one GGUF per preset, streamed tensor by tensor from the
 * base and verified by reading it back tensor by tensor (it must carry the adapter's delta over the base quantized the
 * same way, {@link WeightCarryCheck}; logits and perplexity layer by layer, {@link MergeCheck#layerwise}), optionally the adapter as a llama.cpp LoRA GGUF and the merged model as a Hugging Face directory,
 * and a quality table (file size, bits per weight, perplexity, Δ vs F16).
 */
public final class Exporter {
    /**
     * @param evalLabels null (perplexity over every token of {@code evalSequences}) or one label array per sequence,
     *                   -100 where the token is not scored (the prompt of an instruction example)
     */
    /**
     * @param imatrix null, or a llama-imatrix .dat file: the quantized files are then weighted by it as
     *                llama-quantize --imatrix does
     */
    public record Options(List<QuantPreset> types, boolean adapterGguf, boolean hf, boolean force, List<int[]> evalSequences, List<int[]> evalLabels,
                          int threads, Path imatrix) {
        public Options(List<QuantPreset> types, boolean adapterGguf, boolean hf, boolean force, List<int[]> evalSequences, List<int[]> evalLabels,
                       int threads) {
            this(types, adapterGguf, hf, force, evalSequences, evalLabels, threads, null);
        }

        public Options(List<QuantPreset> types, boolean adapterGguf, boolean hf, boolean force, List<int[]> evalSequences, int threads) {
            this(types, adapterGguf, hf, force, evalSequences, null, threads, null);
        }
    }

    /** @param carried per projection kind, how much of the adapter's delta the file carries over the quantized base (empty without adapter) */
    public record Row(QuantPreset type, Path file, long bytes, double bitsPerWeight, double perplexity, MergeCheck.Result check,
                      List<WeightCarryCheck.Kind> carried) {}

    private Exporter() {}

    /** Exports a model already in memory (its weights are read from memory one tensor at a time, as from a file). */
    public static List<Row> export(BaseModel base, LoraAdapter adapter, Path outDir, Options o, PrintStream log) throws IOException {
        return export(ModelSource.of(base), adapter, outDir, o, log);
    }

    /**
     * Streams the export from a model file or directory: every tensor is read, merged, quantized and written a part of
     * its rows at a time, and every check reads the written file back the same way, so memory does not grow with the
     * number of layers or the size of a tensor. {@code --hf} streams the same way, shard by shard.
     */
    public static List<Row> export(Path model, Optional<Path> tokenizer, LoraAdapter adapter, Path outDir, Options o, PrintStream log) throws IOException {
        try (ModelSource s = ModelSource.open(model, tokenizer)) {
            return export(s, adapter, outDir, o, log);
        }
    }

    private static List<Row> export(ModelSource src, LoraAdapter adapter, Path outDir, Options o, PrintStream log) throws IOException {
        Tokenizer tok = src.tokenizer().orElseThrow(() -> new IllegalArgumentException(src.source()
                + ": the base model has no tokenizer metadata; a GGUF without tokenizer.ggml.* cannot be used by llama.cpp (pass --tokenizer)"));
        if (Files.exists(outDir) && !Files.isDirectory(outDir)) throw new IOException("--out " + outDir + " is a file, expected an output directory");
        if (Files.exists(outDir) && !o.force()) {
            try (var s = Files.list(outDir)) {
                if (s.findAny().isPresent()) throw new IOException(outDir + ": already exists and is not empty (use --force to overwrite)");
            }
        }
        Files.createDirectories(outDir);
        if (!Files.isWritable(outDir)) throw new IOException(outDir + ": not writable");
        warnIfQuantizedBase(src.source(), log);
        LlamaConfig config = src.config();
        WeightSource mergedSource = new MergedSource(src.weights(), adapter);
        int[][] prompts = o.evalSequences().stream().limit(4).map(s -> java.util.Arrays.copyOf(s, Math.min(s.length, 64))).toArray(int[][]::new);
        ImportanceMatrix imatrix = o.imatrix() == null ? null : ImportanceMatrix.read(o.imatrix());
        List<Row> rows = new ArrayList<>();
        double effect = prompts.length > 0 ? Double.NaN : 1;
        for (QuantPreset p : o.types()) {
            Path file = outDir.resolve("model." + p.name() + ".gguf");
            LlamaGgufWriter.write(file, src.name(), config, mergedSource, tok.model(), p, o.threads(), imatrix, o.imatrix() == null ? null : o.imatrix().toString());
            List<WeightCarryCheck.Kind> carried = adapter == null ? List.of() : WeightCarryCheck.run(file, config, src.weights(), adapter, p, imatrix, o.threads());
            if (carried.stream().anyMatch(k -> !k.carried())) {
                throw new IllegalStateException(file + ": the written model lost the adapter: it is not closer to the quantized base plus the adapter's"
                        + " delta than to the quantized base alone (fraction of the delta carried ≤ 0.5):\n" + WeightCarryCheck.describe(carried));
            }
            MergeCheck.Scored scored;
            try (GgufFile f = GgufFile.open(file)) {
                scored = MergeCheck.layerwise(config, mergedSource, GgufCheckpoint.of(f), src.weights(), prompts, o.evalSequences(), o.evalLabels());
            }
            MergeCheck.Result check = scored.check();
            if (check != null) effect = check.adapterEffect();
            long bytes = Files.size(file);
            rows.add(new Row(p, file, bytes, 8.0 * bytes / config.parameterCount(), scored.perplexity(), check, carried));
            log.printf("wrote %s (%,d bytes)%s%n", file, bytes, check == null ? "" : String.format(": vs unmerged adapter max |Δ logit| %.4f, top-1 agreement %.1f%%", check.maxAbsDiff(), 100 * check.top1Agreement()));
            if (!carried.isEmpty()) log.print(WeightCarryCheck.describe(carried));
        }
        if (adapter != null && adapter.parameters().norm2Number().doubleValue() > 0) {
            if (effect == 0 && adapter.modules().stream().allMatch(m -> m.b().norm2Number().doubleValue() == 0)) {
                log.println("WARNING: every LoRA B matrix is zero: this adapter changes nothing (was it trained?)");
            }
        }
        if (o.adapterGguf() && adapter != null) {
            Path a = outDir.resolve("adapter.gguf");
            LlamaCppLoraWriter.write(a, adapter, src.name() + "-lora");
            log.println("wrote " + a + " (llama.cpp: --lora " + a.getFileName() + ")");
        }
        if (o.hf()) {
            Path hf = outDir.resolve("hf");
            HfModelWriter.write(hf, config, mergedSource, SafetensorsDType.F16, 4L << 30, tok.bosId(), tok.eosId()); // shard by shard, tensor by tensor
            String tokFiles = writeTokenizerFiles(src.source(), config, tok, hf);
            log.println("wrote " + hf + " (Hugging Face " + config.architecture().hfClass + ", F16 safetensors, " + tokFiles + ")");
        }
        return rows;
    }

    private static final String[] HF_TOKENIZER_FILES = {"tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"};

    /**
     * A Hugging Face base's own tokenizer files are copied (with its generation_config.json, which may list several
     * EOS ids); any other base (GGUF, llama2.c) gets them written from its vocabulary. Returns what was done, for the log.
     */
    private static String writeTokenizerFiles(String source, LlamaConfig config, Tokenizer tok, Path hf) throws IOException {
        Path src = Path.of(source);
        if (Files.isDirectory(src) && Files.exists(src.resolve("tokenizer.json"))) {
            for (String f : HF_TOKENIZER_FILES) {
                if (Files.exists(src.resolve(f))) Files.copy(src.resolve(f), hf.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
            if (Files.exists(src.resolve("generation_config.json"))) {
                Files.copy(src.resolve("generation_config.json"), hf.resolve("generation_config.json"), StandardCopyOption.REPLACE_EXISTING);
            }
            return "tokenizer files copied from " + src;
        }
        List<Path> written;
        try {
            written = HfTokenizerWriter.write(hf, tok.model(), config.contextLength());
        } catch (IllegalArgumentException e) { // a vocabulary with no tokenizer.json form: the weights are still worth having
            return "WARNING: no tokenizer files: " + e.getMessage();
        }
        return written.stream().map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.joining(", ")) + " written from the base's vocabulary";
    }

    private static void warnIfQuantizedBase(String source, PrintStream log) throws IOException {
        if (!source.endsWith(".gguf")) return;
        try (GgufFile f = GgufFile.open(Path.of(source))) {
            GgufCheckpoint.of(f).quantizedTensorExample().ifPresent(t -> log.println("WARNING: the base is quantized (" + t
                    + "): merging into dequantized weights compounds quantization error; merge into the F16/F32 original when you have it"));
        }
    }

    /** The quality table of an export. */
    public static String table(List<Row> rows) {
        double f16 = rows.stream().filter(r -> r.type() == QuantPreset.F16).mapToDouble(Row::perplexity).findFirst().orElse(Double.NaN);
        StringBuilder b = new StringBuilder("| type | file size | bits/weight | perplexity | Δ vs F16 | max |Δ logit| vs unmerged | top-1 agreement |\n|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            b.append(String.format("| %s | %,d | %.2f | %.4f | %s | %s | %s |%n", r.type(), r.bytes(), r.bitsPerWeight(), r.perplexity(),
                    Double.isNaN(f16) ? "–" : String.format("%+.4f", r.perplexity() - f16),
                    r.check() == null ? "–" : String.format("%.4f", r.check().maxAbsDiff()),
                    r.check() == null ? "–" : String.format("%.1f%%", 100 * r.check().top1Agreement())));
        }
        return b.toString();
    }
}
