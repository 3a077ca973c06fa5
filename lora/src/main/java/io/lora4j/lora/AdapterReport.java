package io.lora4j.lora;

import io.lora4j.core.model.LlamaWeights;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * How much an adapter changes each adapted weight: ‖s·B·A‖ / ‖W‖ (Frobenius). Catches the classic silent failures:
 * an adapter whose B is still all zero changes nothing, so merging or exporting it does nothing.
 */
public final class AdapterReport {
    private AdapterReport() {}

    public record Row(String module, double relativeChange, double normB) {}

    public static List<Row> rows(LoraAdapter adapter, LlamaWeights base) {
        List<Row> rows = new ArrayList<>();
        for (LoraModule m : adapter.modules()) {
            double w = base.layers().get(m.layer()).w(m.projection()).castTo(DataType.FLOAT).norm2Number().doubleValue();
            double d = m.delta().norm2Number().doubleValue();
            rows.add(new Row(m.peftPrefix().replace("base_model.model.model.", ""), w > 0 ? d / w : d, m.b().norm2Number().doubleValue()));
        }
        return rows;
    }

    /** Modules whose B is exactly zero (untrained). */
    public static List<String> untrained(List<Row> rows) {
        return rows.stream().filter(r -> r.normB() == 0).map(Row::module).toList();
    }

    public static String format(List<Row> rows) {
        StringBuilder b = new StringBuilder("| module | ‖ΔW‖/‖W‖ |\n|---|---|\n");
        for (Row r : rows) b.append(String.format("| %s | %.2e |%n", r.module(), r.relativeChange()));
        List<String> zero = untrained(rows);
        if (!zero.isEmpty()) b.append("WARNING: B is still all zero in ").append(zero.size()).append(" module(s), e.g. ").append(zero.get(0))
                .append(": this adapter changes nothing there.\n");
        return b.toString();
    }
}
