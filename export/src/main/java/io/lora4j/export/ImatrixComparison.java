package io.lora4j.export;

import io.lora4j.export.quant.QuantPreset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The extra rows of an export made with an importance matrix: each block-quantized type's perplexity with and
 * without the matrix, the second from the same export redone without it in a scratch directory.
 */
public final class ImatrixComparison {
    private ImatrixComparison() {}

    /** One export into a directory (the caller chooses the model source: in memory or streamed from its file). */
    @FunctionalInterface
    public interface ExportInto {
        List<Exporter.Row> export(Path dir, Exporter.Options options) throws IOException;
    }

    /** The block-quantized types of {@code types}: the only ones an importance matrix changes. */
    public static List<QuantPreset> quantized(List<QuantPreset> types) {
        return types.stream().filter(t -> t != QuantPreset.F32 && t != QuantPreset.F16 && t != QuantPreset.BF16).toList();
    }

    /**
     * Redoes the export of {@code options}' block-quantized types without the importance matrix (no adapter GGUF,
     * no HF directory) and returns the comparison table, or "" when there is nothing to compare.
     */
    public static String withAndWithout(List<Exporter.Row> with, Exporter.Options options, ExportInto export) throws IOException {
        List<QuantPreset> quantized = quantized(options.types());
        if (options.imatrix() == null || quantized.isEmpty()) return "";
        Path scratch = Files.createTempDirectory("lora4j-no-imatrix-");
        try {
            Exporter.Options plain = new Exporter.Options(quantized, false, false, true, options.evalSequences(), options.evalLabels(), options.threads(), null);
            return table(with, export.export(scratch, plain));
        } finally {
            try (Stream<Path> files = Files.walk(scratch)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }

    /** Rows pair up by type; a type missing from {@code without} is left out. */
    public static String table(List<Exporter.Row> with, List<Exporter.Row> without) {
        StringBuilder b = new StringBuilder("| type | perplexity, no imatrix | perplexity, with imatrix | Δ |\n|---|---|---|---|\n");
        for (Exporter.Row w : with) {
            for (Exporter.Row o : without) {
                if (o.type() != w.type()) continue;
                b.append(String.format("| %s | %.4f | %.4f | %+.4f |%n", w.type(), o.perplexity(), w.perplexity(), w.perplexity() - o.perplexity()));
            }
        }
        return b.toString();
    }
}
