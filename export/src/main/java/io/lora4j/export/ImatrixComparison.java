package io.lora4j.export;

import io.lora4j.export.quant.QuantPreset;
import java.util.List;

/** The extra rows of export --imatrix-from-data --report: each quantized type's perplexity with and without the data-derived matrix. */
public final class ImatrixComparison {
    private ImatrixComparison() {}

    /** The block-quantized types of {@code types}: the only ones an importance matrix changes. */
    public static List<QuantPreset> quantized(List<QuantPreset> types) {
        return types.stream().filter(t -> t != QuantPreset.F32 && t != QuantPreset.F16 && t != QuantPreset.BF16).toList();
    }

    /** Rows pair up by type; a type missing from {@code without} is left out. */
    public static String table(List<Exporter.Row> with, List<Exporter.Row> without) {
        StringBuilder b = new StringBuilder("| type | perplexity, no imatrix | perplexity, imatrix from data | Δ |\n|---|---|---|---|\n");
        for (Exporter.Row w : with) {
            for (Exporter.Row o : without) {
                if (o.type() != w.type()) continue;
                b.append(String.format("| %s | %.4f | %.4f | %+.4f |%n", w.type(), o.perplexity(), w.perplexity(), w.perplexity() - o.perplexity()));
            }
        }
        return b.toString();
    }
}
