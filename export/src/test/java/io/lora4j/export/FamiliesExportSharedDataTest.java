package io.lora4j.export;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.model.Architecture;
import io.lora4j.core.model.CompactLogits;
import io.lora4j.core.model.GgufCheckpoint;
import io.lora4j.core.model.HfCheckpoint;
import io.lora4j.core.model.HfModelWriter;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.TokenLines;
import io.lora4j.core.safetensors.SafetensorsDType;
import io.lora4j.core.testing.SharedData;
import io.lora4j.core.tokenizer.TokenizerModel;
import io.lora4j.core.tokenizer.Tokenizers;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.lora.LlamaCppLoraReader;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraMerge;
import io.lora4j.lora.PeftAdapterIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Export for Llama-3.x, Qwen2 and Mistral, every file read back by lora4j's own readers and checked against
 * transformers+PEFT's logits: the merged model as a GGUF (the architecture's own keys, rope_freqs.weight, biases) and
 * as a Hugging Face directory, and the adapter as a llama.cpp LoRA GGUF.
 */
class FamiliesExportSharedDataTest {
    static final double TOL = 1e-4;

    static LlamaModel model(LlamaConfig c, LlamaWeights w) {
        return new LlamaModel(c, w);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen2", "mistral"})
    void mergedGgufMergedHfAndAdapterGgufKeepTheFineTune(String name, @TempDir Path tmp) throws Exception {
        Path dir = SharedData.file("families/" + name);
        List<int[]> lines = TokenLines.readTokens(dir.resolve("tokens.txt"));

        // merged Hugging Face directory from the HF base + PEFT adapter
        LlamaConfig hfConfig;
        LlamaWeights hfBase;
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir.resolve("hf"))) {
            hfConfig = ckpt.config();
            hfBase = LlamaWeights.load(hfConfig, ckpt, DataType.FLOAT);
        }
        CompactLogits expected = CompactLogits.read(dir, "hf+lora", hfConfig.vocabSize());
        LoraAdapter peft = PeftAdapterIO.load(dir.resolve("lora"), hfConfig);
        Path hfOut = tmp.resolve("merged-hf");
        HfModelWriter.write(hfOut, hfConfig, LoraMerge.merge(hfBase, peft), SafetensorsDType.F32, 4L << 30, -1, -1);
        try (HfCheckpoint back = HfCheckpoint.open(hfOut)) {
            assertEquals(hfConfig, back.config(), "config.json round trip");
            CompactLogits.Diff d = expected.compare(model(back.config(), LlamaWeights.load(back.config(), back, DataType.FLOAT)), lines);
            System.out.println(name + " merged HF directory vs hf+lora: " + d);
            assertTrue(d.max() < TOL, d.toString());
        }

        // the adapter as a llama.cpp LoRA GGUF, applied to the GGUF base
        Path loraOut = tmp.resolve("adapter.gguf");
        LlamaCppLoraWriter.write(loraOut, peft, name + "-lora");
        try (GgufFile f = GgufFile.open(dir.resolve("model-f32.gguf"))) {
            GgufCheckpoint ckpt = GgufCheckpoint.of(f);
            LlamaConfig c = ckpt.config();
            LlamaWeights ggufBase = LlamaWeights.load(c, ckpt, DataType.FLOAT);
            LoraAdapter back = LlamaCppLoraReader.read(loraOut, c);
            CompactLogits.Diff a = expected.compare(back.attach(model(c, ggufBase)), lines);
            System.out.println(name + " written lora GGUF on model-f32.gguf vs hf+lora: " + a);
            assertTrue(a.max() < TOL, a.toString());

            // merged GGUF (F32) from the GGUF base + llama.cpp's own adapter file
            TokenizerModel tok = Tokenizers.fromGguf(f.metadata(), f.path().toString());
            LoraAdapter lcpp = LlamaCppLoraReader.read(dir.resolve("lora-f32.gguf"), c);
            Path ggufOut = tmp.resolve("merged.gguf");
            LlamaGgufWriter.write(ggufOut, name + "-merged", c, LoraMerge.merge(ggufBase, lcpp), tok, QuantPreset.F32, 1);
            try (GgufFile g = GgufFile.open(ggufOut)) {
                String arch = g.metadata().getString("general.architecture");
                assertEquals(c.architecture().ggufArch, arch);
                assertEquals(c.nLayers(), g.metadata().getUInt32(arch + ".block_count"));
                assertEquals(f.tensor(GgufCheckpoint.ROPE_FREQS).isPresent(), g.tensor(GgufCheckpoint.ROPE_FREQS).isPresent());
                if (c.architecture() == Architecture.QWEN2) assertTrue(g.tensor("blk.1.attn_v.bias").isPresent());
                GgufCheckpoint merged = GgufCheckpoint.of(g);
                assertEquals(c, merged.config());
                CompactLogits.Diff m = expected.compare(model(c, LlamaWeights.load(c, merged, DataType.FLOAT)), lines);
                System.out.println(name + " merged GGUF vs hf+lora: " + m);
                assertTrue(m.max() < TOL, m.toString());
            }
        }
        assertTrue(Files.size(loraOut) > 0);
    }
}
