package io.lora4j.export;

import io.lora4j.core.ggml.GgmlDequantizer;
import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.model.GgufCheckpoint;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.WeightSource;
import io.lora4j.export.quant.ImportanceMatrix;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.export.quant.Quantizers;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraModule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Did the written file keep the fine-tune? Measured in weight space, one tensor at a time, against the base quantized
 * the same way WITHOUT the adapter (Q(W)), not against the fp32 adapter effect: at Q4_K a small honest adapter moves
 * the weights far less than quantization does, so "is the file close to W + Δ" cannot tell it from a lost one.
 *
 * <p>For each adapted tensor, F is the written tensor read back (dequantized, Q/K rows un-permuted by the GGUF
 * reader), B = Q(W) dequantized and Δ = s·B·A. The file carries the adapter when it is closer to B + Δ than to B:
 * ‖F − (B+Δ)‖² &lt; ‖F − B‖², i.e. {@code fraction} = ⟨F − B, Δ⟩ / ‖Δ‖² &gt; ½, summed over the layers of one
 * projection kind. Rounding moves a value across a quantization boundary with a probability proportional to its
 * shift, so for an honest merge the expected displacement F − B is Δ (fraction ≈ 1) and the scale-search noise
 * averages out over the many values of a projection kind; an adapter not applied or scaled to zero gives F = B
 * (fraction 0), and Q/K deltas merged with the wrong row permutation are nearly orthogonal to Δ (fraction ≈ 0).
 */
public final class WeightCarryCheck {
    private WeightCarryCheck() {}

    /**
     * One projection kind over all layers.
     *
     * @param fraction     ⟨F − B, Δ⟩ / ‖Δ‖²: 1 when the file moved from the quantized base by exactly the delta
     * @param deltaRms     RMS of Δ (the adapter's size)
     * @param writtenRms   RMS of F − (W + Δ), the file's error against the fp32 merge
     * @param baseRms      RMS of B − W, the quantization error of the base alone
     */
    public record Kind(Projection projection, double fraction, double deltaRms, double writtenRms, double baseRms) {
        /** The written file is closer to the quantized base plus the delta than to the quantized base. */
        public boolean carried() {
            return deltaRms == 0 || fraction > 0.5;
        }
    }

    /** Reads {@code written} back tensor by tensor and compares it with {@code base} + {@code adapter} quantized by {@code preset}. */
    public static List<Kind> run(Path written, LlamaConfig c, WeightSource base, LoraAdapter adapter, QuantPreset preset, ImportanceMatrix imatrix,
                                 int threads) throws IOException {
        Map<String, LlamaGgufWriter.Planned> plan = new HashMap<>();
        for (LlamaGgufWriter.Planned t : LlamaGgufWriter.plan(c, preset, imatrix)) if (t.hfName() != null) plan.put(t.hfName(), t);
        Map<Projection, double[]> sums = new EnumMap<>(Projection.class); // dot, ΔΔ, written err², base err², count
        try (GgufFile f = GgufFile.open(written)) {
            GgufCheckpoint file = GgufCheckpoint.of(f);
            for (LoraModule m : adapter.modules()) {
                String name = m.projection().hfWeightName(m.layer());
                LlamaGgufWriter.Planned t = plan.get(name);
                if (t == null) throw new IllegalArgumentException(written + ": the adapter targets '" + name + "', which the model does not have");
                double[] s = sums.computeIfAbsent(m.projection(), k -> new double[5]);
                int part = t.partRows(WeightSource.PART_VALUES); // a part at a time: a 7B projection is 180 MiB in fp32
                for (int r0 = 0; r0 < t.rows(); r0 += part) {
                    int r1 = Math.min(t.rows(), r0 + part);
                    int[] ids = WeightSource.rowRange(r0, r1);
                    float[] w = base.readRows(name, t.rows(), t.rowLen(), ids);
                    float[] d = MergedSource.deltaRows(m, ids);
                    float[] fw = file.readRows(name, t.rows(), t.rowLen(), ids);
                    float[] qb = quantizedBase(w, t, r1 - r0, threads);
                    for (int i = 0; i < w.length; i++) {
                        double fb = (double) fw[i] - qb[i];
                        s[0] += fb * d[i];
                        s[1] += (double) d[i] * d[i];
                        double ew = (double) fw[i] - ((double) w[i] + d[i]);
                        s[2] += ew * ew;
                        double eb = (double) qb[i] - w[i];
                        s[3] += eb * eb;
                    }
                    s[4] += w.length;
                }
            }
        }
        List<Kind> kinds = new ArrayList<>();
        sums.forEach((p, s) -> kinds.add(new Kind(p, s[1] == 0 ? 0 : s[0] / s[1], Math.sqrt(s[1] / s[4]), Math.sqrt(s[2] / s[4]), Math.sqrt(s[3] / s[4]))));
        return kinds;
    }

    /** Rows of W (a part of {@code nRows} rows, see {@link LlamaGgufWriter.Planned#partRows}) through the file's own type and importance weights, back to fp32 in Hugging Face row order. */
    static float[] quantizedBase(float[] w, LlamaGgufWriter.Planned t, int nRows, int threads) {
        if (t.type() == GgmlType.F32) return w;
        java.nio.ByteBuffer q = Quantizers.quantize(t.partToGguf(w.clone(), nRows), nRows, t.rowLen(), t.type(), threads, t.importance());
        float[] back = new float[w.length];
        GgmlDequantizer.dequantize(t.type(), q.order(java.nio.ByteOrder.LITTLE_ENDIAN), back, 0, back.length);
        return t.partToHf(back, nRows);
    }

    /** One line per projection kind, for the export log. */
    public static String describe(List<Kind> kinds) {
        StringBuilder b = new StringBuilder();
        for (Kind k : kinds) {
            b.append(String.format("  %-5s fraction of the delta carried %.3f (delta RMS %.3g, file vs fp32 merge RMS %.3g, quantized base vs base RMS %.3g)%s%n",
                    k.projection().hfName.replace("_proj", ""), k.fraction(), k.deltaRms(), k.writtenRms(), k.baseRms(), k.carried() ? "" : "  LOST"));
        }
        return b.toString();
    }
}
