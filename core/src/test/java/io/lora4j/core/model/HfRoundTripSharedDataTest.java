package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.safetensors.SafetensorsDType;
import io.lora4j.core.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GGUF → Hugging Face directory (lora4j's own writer) → back: identical logits, sharding and tokenizer included. */
class HfRoundTripSharedDataTest {

    @Test
    void hfCopyOfAGgufGivesTheSameLogits(@TempDir Path tmp) throws Exception {
        BaseModel gguf = ModelLoader.load(SharedData.file("reference/synth-a/f32.gguf"));
        Path dir = tmp.resolve("hf");
        HfModelWriter.write(dir, gguf.config(), gguf.weights(), SafetensorsDType.F32, 1_000_000, 1, 2); // ~7 MB → several shards
        assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")), "sharded");
        assertTrue(Files.list(dir).filter(p -> p.toString().endsWith(".safetensors")).count() > 2);
        Files.copy(SharedData.file("models/tok512.model"), dir.resolve("tokenizer.model"));
        BaseModel hf = ModelLoader.load(dir);
        assertEquals(gguf.config(), hf.config());
        assertTrue(hf.tokenizer().isPresent());
        int[] ids = TokenLines.readTokens(SharedData.file("reference/synth-a/tokens.txt")).get(0);
        float[][] a = new LlamaModel(gguf.config(), gguf.weights()).logits(new int[][] {ids}).toFloatMatrix();
        float[][] b = new LlamaModel(hf.config(), hf.weights()).logits(new int[][] {ids}).toFloatMatrix();
        for (int t = 0; t < a.length; t++) assertArrayEquals(a[t], b[t], 0f);
    }

    /** A streaming export reads a large tensor a few rows at a time: the rows of the whole tensor, across shards and half types. */
    @Test
    void rowsReadFromSafetensorsAreTheRowsOfTheWholeTensor(@TempDir Path tmp) throws Exception {
        BaseModel gguf = ModelLoader.load(SharedData.file("reference/synth-a/f32.gguf"));
        LlamaConfig c = gguf.config();
        for (SafetensorsDType dtype : new SafetensorsDType[] {SafetensorsDType.F32, SafetensorsDType.F16, SafetensorsDType.BF16}) {
            Path dir = tmp.resolve(dtype.name());
            HfModelWriter.write(dir, c, gguf.weights(), dtype, 1_000_000, 1, 2);
            HfCheckpoint hf = HfCheckpoint.open(dir);
            int[] ids = {3, 4, 5, 0, c.dim() - 1, 7};
            for (String name : new String[] {"model.embed_tokens.weight", "model.layers.1.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight"}) {
                long rows = name.contains("embed") ? c.vocabSize() : c.dim(), cols = name.contains("down") ? c.hiddenDim() : c.dim();
                float[] all = hf.read(name, rows, cols), part = hf.readRows(name, rows, cols, ids);
                for (int i = 0; i < ids.length; i++) {
                    assertArrayEquals(java.util.Arrays.copyOfRange(all, (int) (ids[i] * cols), (int) ((ids[i] + 1) * cols)),
                            java.util.Arrays.copyOfRange(part, (int) (i * cols), (int) ((i + 1) * cols)), dtype + " " + name + " row " + ids[i]);
                }
            }
        }
    }

    @Test
    void loaderErrorsNameThePath(@TempDir Path tmp) throws Exception {
        ModelFormatException missing = assertThrows(ModelFormatException.class, () -> ModelLoader.load(tmp.resolve("nope.gguf")));
        assertTrue(missing.getMessage().contains("nope.gguf"));
        Path emptyDir = Files.createDirectory(tmp.resolve("empty"));
        ModelFormatException noConfig = assertThrows(ModelFormatException.class, () -> ModelLoader.load(emptyDir));
        assertTrue(noConfig.getMessage().contains("config.json"), noConfig.getMessage());
        Path txt = Files.writeString(tmp.resolve("model.txt"), "hello");
        assertThrows(ModelFormatException.class, () -> ModelLoader.load(txt));
        Path shortBin = Files.write(tmp.resolve("x.bin"), new byte[40]);
        ModelFormatException bin = assertThrows(ModelFormatException.class, () -> ModelLoader.load(shortBin));
        assertTrue(bin.getMessage().contains("x.bin"), bin.getMessage());
        Path tok = SharedData.file("tokenizers/ggml-vocab-llama-spm.gguf"); // a vocab-only GGUF: no tensors
        var e = assertThrows(java.io.IOException.class, () -> ModelLoader.load(tok));
        assertTrue(e.getMessage().contains("token_embd.weight") || e.getMessage().contains("llama."), e.getMessage());
    }
}
