package io.lora4j.export;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.model.Projection;
import io.lora4j.core.testing.SharedData;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.lora.LlamaCppLoraReader;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraConfig;
import io.lora4j.lora.LoraModule;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class ExportSharedDataTest {

    static LoraAdapter adapter(BaseModel b) {
        LoraAdapter a = LoraAdapter.create(b.config(), new LoraConfig(4, 8f, 0f, EnumSet.allOf(Projection.class), false), 7);
        Nd4j.getRandom().setSeed(3);
        for (LoraModule m : a.modules()) m.b().assign(Nd4j.randn(DataType.FLOAT, m.b().shape()).muli(0.05));
        return a;
    }

    @Test
    void exportedGgufsCarryTheAdapterAndTheTokenizer(@TempDir Path tmp) throws Exception {
        BaseModel base = ModelLoader.load(SharedData.file("models/stories260K.gguf"));
        Tokenizer tok = base.requireTokenizer();
        LoraAdapter a = adapter(base);
        List<int[]> eval = List.of(tok.encode("Once upon a time, there was a little girl named Lily.", true), tok.encode("The cat sat on the mat.", true));
        Path out = tmp.resolve("out");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<Exporter.Row> rows = Exporter.export(base, a, out,
                new Exporter.Options(List.of(QuantPreset.F32, QuantPreset.F16, QuantPreset.Q8_0), true, true, false, eval, 2), new PrintStream(log));
        System.out.print(log);
        System.out.print(Exporter.table(rows));
        for (Exporter.Row r : rows) {
            assertTrue(r.check().adapterEffect() > 0.05, "the adapter must visibly change the logits");
            double tol = r.type() == QuantPreset.F32 ? 1e-4 : r.type() == QuantPreset.F16 ? 0.02 : 0.5; // Q8_0 noise on a d=64 model
            assertTrue(r.check().maxAbsDiff() < tol, r.type() + ": merged file vs unmerged adapter " + r.check().maxAbsDiff());
            assertTrue(r.check().maxAbsDiff() < r.check().adapterEffect() / 4, r.type() + " keeps the fine-tune");
        }
        // the written GGUF has the tokenizer and llama.cpp's typed keys, and loads as a base model
        try (GgufFile f = GgufFile.open(out.resolve("model.Q8_0.gguf"))) {
            assertEquals(7, f.metadata().getUInt32("general.file_type"));
            assertEquals(5, f.metadata().getUInt32("llama.block_count"));
            assertEquals(1e-5f, f.metadata().getFloat32("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(512, f.metadata().getStringArray("tokenizer.ggml.tokens").length);
        }
        BaseModel reloaded = ModelLoader.load(out.resolve("model.F32.gguf"));
        assertEquals(tok.fingerprint(), reloaded.requireTokenizer().fingerprint());
        // the adapter GGUF reads back to the same adapter (q/k B permuted there and back)
        LoraAdapter back = LlamaCppLoraReader.read(out.resolve("adapter.gguf"), base.config());
        assertArrayEquals(a.parameters().toFloatVector(), back.parameters().toFloatVector(), 0f);
        // the HF directory gives the merged model's logits
        BaseModel hf = ModelLoader.load(out.resolve("hf"), DataType.FLOAT, java.util.Optional.of(SharedData.file("models/tok512.model")));
        LlamaModel unmerged = a.attach(new LlamaModel(base.config(), base.weights()));
        double d = unmerged.logits(new int[][] {eval.get(0)}).sub(new LlamaModel(hf.config(), hf.weights()).logits(new int[][] {eval.get(0)})).amaxNumber().doubleValue();
        assertTrue(d < 0.02, "HF (F16) merged vs unmerged: " + d);
    }

    @Test
    void badInputGivesClearErrors(@TempDir Path tmp) throws Exception {
        BaseModel base = ModelLoader.load(SharedData.file("models/stories260K.gguf"));
        Path out = Files.createDirectories(tmp.resolve("exists"));
        Files.writeString(out.resolve("something"), "x");
        var opts = new Exporter.Options(List.of(QuantPreset.Q8_0), false, false, false, List.of(), 1);
        var e = assertThrows(java.io.IOException.class, () -> Exporter.export(base, null, out, opts, System.out));
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QuantPreset.parse("Q4_K_X"));
        BaseModel noTok = new BaseModel("x", "x.gguf", base.config(), base.weights(), java.util.Optional.empty());
        var t = assertThrows(IllegalArgumentException.class, () -> Exporter.export(noTok, null, tmp.resolve("o2"), opts, System.out));
        assertTrue(t.getMessage().contains("tokenizer"), t.getMessage());
        // an adapter for another base model
        var other = new io.lora4j.core.model.LlamaConfig(32, 86, 5, 8, 4, 4, 512, 128, 1e-5f, 10000f, true);
        var wrong = assertThrows(java.io.IOException.class, () -> LlamaCppLoraReader.read(SharedData.file("reference/synth-a/lora-r8.gguf"), other));
        assertTrue(wrong.getMessage().contains("another base"), wrong.getMessage());
    }
}
