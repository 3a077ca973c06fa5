package io.lora4j.export;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.testing.SharedData;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.lora.LlamaCppLoraReader;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraMerge;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingExportSharedDataTest {
    /** sha256 of the files the in-memory writer (LlamaGgufWriter over LoraMerge.merge, before streaming) wrote. */
    static final java.util.Map<String, String> OLD = java.util.Map.of(
            "stories F32", "b4db6035091b34d8a5bb3b90145b4e95ca5525e0498207c09e01b65ccdbdb19a",
            "synth F32", "ac325fdbe1cc02b82f84cd6fdb6e12e200efd5f577ead2a3632d1edef33fef15",
            "stories Q8_0", "91827fc647212c677e95f59ad394aa2e760d8296a9648e467556205c62e70e9d",
            "synth Q8_0", "184292351eb0f9d910b8d448586f6b22adfd06314d471e38d7fda262e2237570",
            "stories Q4_K_M", "54543bc082d89009c87694566768570d4ce682af7c700e37092dcd9e70204d2f",
            "synth Q4_K_M", "1e2dfbb766afd05e04daa05155c16be3a063b7ec53c6b8b9c4caab88dc8f0a32");

    static String sha(Path p) throws Exception {
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    @Test
    void theStreamedWriterGivesTheOldBytes(@TempDir Path tmp) throws Exception {
        BaseModel s = ModelLoader.load(SharedData.file("models/stories260K.gguf"));
        LoraAdapter a = ExportSharedDataTest.adapter(s);
        BaseModel y = ModelLoader.load(SharedData.file("reference/synth-a/f32.gguf"));
        LoraAdapter l = LlamaCppLoraReader.read(SharedData.file("reference/synth-a/lora-r8.gguf"), y.config());
        for (String p : new String[] {"F32", "Q8_0", "Q4_K_M"}) {
            Path o = tmp.resolve("s" + p);
            LlamaGgufWriter.write(o, s.name(), s.config(), LoraMerge.merge(s.weights(), a), s.requireTokenizer().model(), QuantPreset.parse(p), 2);
            assertEquals(OLD.get("stories " + p), sha(o), "stories260K " + p);
            o = tmp.resolve("y" + p);
            LlamaGgufWriter.write(o, y.name(), y.config(), LoraMerge.merge(y.weights(), l), y.requireTokenizer().model(), QuantPreset.parse(p), 2);
            assertEquals(OLD.get("synth " + p), sha(o), "synth-a " + p);
        }
    }

    @Test
    void exportFromTheFileStreamsTheSameBytes(@TempDir Path tmp) throws Exception {
        Path model = SharedData.file("models/stories260K.gguf");
        LoraAdapter a = ExportSharedDataTest.adapter(ModelLoader.load(model));
        Path out = tmp.resolve("out");
        List<Exporter.Row> rows = Exporter.export(model, Optional.empty(), a, out,
                new Exporter.Options(List.of(QuantPreset.F32, QuantPreset.Q8_0, QuantPreset.Q4_K_M), false, false, false, List.of(), 2), System.out);
        for (Exporter.Row r : rows) {
            assertEquals(OLD.get("stories " + r.type().name()), sha(r.file()), r.type().name());
            assertEquals(7, r.carried().size());
        }
    }

    /** The case the logit check refused: at Q4_K_M a tiny adapter moves logits far less than quantization does. */
    @Test
    void anHonestTinyAdapterIsExportedAtQ4KM(@TempDir Path tmp) throws Exception {
        Path model = SharedData.file("reference/synth-a/f32.gguf");
        BaseModel b = ModelLoader.load(model);
        LoraAdapter a = WeightCarryCheckSharedDataTest.adapter(b.config(), 1e-4f);
        List<int[]> eval = List.of(b.requireTokenizer().encode("Once upon a time, there was a little girl named Lily.", true));
        List<Exporter.Row> rows = Exporter.export(model, Optional.empty(), a, tmp.resolve("out"),
                new Exporter.Options(List.of(QuantPreset.Q4_K_M), false, false, false, eval, 2), System.out);
        Exporter.Row r = rows.get(0);
        assertTrue(r.check().lostTheAdapter(), "the old logit criterion would refuse it: " + r.check());
        for (WeightCarryCheck.Kind k : r.carried()) assertTrue(k.fraction() > 0.8 && k.fraction() < 1.2, k.toString());
        // the layer-by-layer logits and perplexity equal those of the whole written model loaded in memory
        BaseModel written = ModelLoader.load(r.file());
        io.lora4j.core.model.LlamaModel m = new io.lora4j.core.model.LlamaModel(written.config(), written.weights());
        assertEquals(Perplexity.of(m, eval), r.perplexity(), 1e-4 * r.perplexity());
    }

    /** A failure mid-file (here the source breaks at layer 1) leaves neither the final name nor a temporary file. */
    @Test
    void anInterruptedExportLeavesNoFile(@TempDir Path tmp) throws Exception {
        try (ModelSource s = ModelSource.open(SharedData.file("models/stories260K.gguf"), Optional.empty())) {
            io.lora4j.core.model.WeightSource failing = new io.lora4j.core.model.WeightSource() {
                @Override
                public float[] read(String hfName, long... shape) throws java.io.IOException {
                    if (hfName.startsWith("model.layers.1.")) throw new java.io.IOException("No space left on device (simulated)");
                    return s.weights().read(hfName, shape);
                }

                @Override
                public boolean contains(String hfName) {
                    return true;
                }

                @Override
                public String describe() {
                    return "failing";
                }
            };
            Path out = tmp.resolve("model.Q8_0.gguf");
            var e = assertThrows(java.io.IOException.class,
                    () -> LlamaGgufWriter.write(out, s.name(), s.config(), failing, s.tokenizer().orElseThrow().model(), QuantPreset.Q8_0, 1, null, null));
            assertTrue(e.getMessage().contains("simulated"), e.getMessage());
            try (var files = Files.list(tmp)) {
                assertEquals(List.of(), files.toList(), "nothing left in the output directory");
            }
        }
    }
}
