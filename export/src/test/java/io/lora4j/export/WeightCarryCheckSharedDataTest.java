package io.lora4j.export;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.QkPermutation;
import io.lora4j.core.testing.SharedData;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.lora.LlamaCppLoraReader;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraModule;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Both directions of the weight-space merge check on synth-a (llama, GQA, dims every quant type takes) with its
 * llama.cpp-trained rank-8 adapter: an honest adapter scaled down to a one-step-sized effect passes at Q4_K_M, and a
 * file written without it, with it scaled to zero, or with the Q/K delta rows permuted wrongly fails.
 */
class WeightCarryCheckSharedDataTest {
    static final Path BASE = SharedData.file("reference/synth-a/f32.gguf");

    static LoraAdapter adapter(LlamaConfig c, float scale) throws Exception {
        LoraAdapter a = LlamaCppLoraReader.read(SharedData.file("reference/synth-a/lora-r8.gguf"), c);
        for (LoraModule m : a.modules()) m.b().muli(scale);
        return a;
    }

    static List<WeightCarryCheck.Kind> writeAndCheck(ModelSource s, LoraAdapter written, LoraAdapter expected, QuantPreset p, Path out) throws Exception {
        LlamaGgufWriter.write(out, s.name(), s.config(), new MergedSource(s.weights(), written), s.tokenizer().orElseThrow().model(), p, 2, null, null);
        List<WeightCarryCheck.Kind> kinds = WeightCarryCheck.run(out, s.config(), s.weights(), expected, p, null, 2);
        System.out.print(p + "\n" + WeightCarryCheck.describe(kinds));
        return kinds;
    }

    @Test
    void anHonestTinyAdapterPassesAtQ4KM(@TempDir Path tmp) throws Exception {
        try (ModelSource s = ModelSource.open(BASE, Optional.empty())) {
            for (float scale : new float[] {1f, 1e-4f}) {
                LoraAdapter a = adapter(s.config(), scale);
                for (QuantPreset p : new QuantPreset[] {QuantPreset.F32, QuantPreset.Q8_0, QuantPreset.Q4_K_M}) {
                    List<WeightCarryCheck.Kind> kinds = writeAndCheck(s, a, a, p, tmp.resolve("m.gguf"));
                    assertEquals(7, kinds.size());
                    for (WeightCarryCheck.Kind k : kinds) {
                        assertTrue(k.carried(), scale + " " + p + " " + k);
                        if (scale == 1e-4f && p == QuantPreset.Q4_K_M) {
                            assertTrue(k.baseRms() > 5 * k.deltaRms(), "the case the old check refused: quantization error far above the delta " + k);
                        }
                        if (p == QuantPreset.F32) assertEquals(1.0, k.fraction(), 1e-3, k.toString());
                    }
                }
            }
        }
    }

    @Test
    void aLostAdapterFailsAtQ4KM(@TempDir Path tmp) throws Exception {
        try (ModelSource s = ModelSource.open(BASE, Optional.empty())) {
            LoraAdapter a = adapter(s.config(), 1e-4f);
            for (QuantPreset p : new QuantPreset[] {QuantPreset.Q8_0, QuantPreset.Q4_K_M}) {
                // not applied, and scaled to zero: the file is the quantized base
                for (LoraAdapter lost : new LoraAdapter[] {null, adapter(s.config(), 0f)}) {
                    for (WeightCarryCheck.Kind k : writeAndCheck(s, lost, a, p, tmp.resolve("lost.gguf"))) {
                        assertFalse(k.carried(), p + " " + k);
                        assertEquals(0, k.fraction(), 1e-9, "F = Q(W) exactly");
                    }
                }
                // Q/K delta rows permuted as if B were in GGUF order: those two kinds are lost, the rest carried
                LoraAdapter wrong = adapter(s.config(), 1e-4f);
                for (LoraModule m : wrong.modules()) {
                    int heads = m.projection() == Projection.Q ? s.config().nHeads() : m.projection() == Projection.K ? s.config().nKvHeads() : 0;
                    if (heads == 0) continue;
                    float[] b = m.b().dup('c').data().asFloat();
                    m.b().assign(Nd4j.create(QkPermutation.toGguf(b, heads, m.rank()), m.b().shape(), 'c'));
                }
                for (WeightCarryCheck.Kind k : writeAndCheck(s, wrong, a, p, tmp.resolve("perm.gguf"))) {
                    boolean qk = k.projection() == Projection.Q || k.projection() == Projection.K;
                    assertEquals(!qk, k.carried(), p + " " + k);
                }
            }
        }
    }
}
