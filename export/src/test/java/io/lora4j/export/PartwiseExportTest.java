package io.lora4j.export;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.model.GgufCheckpoint;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.WeightSource;
import io.lora4j.core.tokenizer.TokenizerModel;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.export.quant.Quantizers;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraConfig;
import io.lora4j.lora.LoraModule;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The streaming export reads, merges and quantizes each matrix a part of its rows at a time: every part-wise path must
 * give exactly what the whole-tensor path gives. The model is llama-shaped with rows of K-quant length (256, 512),
 * 8 heads over 4 KV heads, so Q/K parts cross the GGUF row permutation.
 */
class PartwiseExportTest {
    static final LlamaConfig C = new LlamaConfig(256, 512, 2, 8, 4, 32, 300, 64, 1e-5f, 10000f, false);

    static final WeightSource RANDOM = ExportMemoryBenchmark.synthetic();

    static TokenizerModel tokenizer() {
        String[] tokens = new String[C.vocabSize()];
        int[] types = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : "▁t" + i;
            types[i] = i == 0 ? TokenizerModel.UNKNOWN : i < 3 ? TokenizerModel.CONTROL : TokenizerModel.NORMAL;
        }
        return new TokenizerModel(TokenizerModel.Kind.SPM, tokens, new float[tokens.length], types, new String[0], 1, 2, 0, -1, true, false, true,
                "default", Optional.empty());
    }

    static byte[] partwise(LlamaGgufWriter.Planned t, WeightSource w, long partValues) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (WritableByteChannel ch = Channels.newChannel(bytes)) {
            t.writeQuantized(w, 2, partValues, ch);
        }
        return bytes.toByteArray();
    }

    static byte[] whole(LlamaGgufWriter.Planned t, WeightSource w) throws Exception {
        ByteBuffer q = Quantizers.quantize(t.values(w, C), t.rows(), t.rowLen(), t.type(), 2, t.importance());
        byte[] b = new byte[q.remaining()];
        q.get(b);
        return b;
    }

    @Test
    void matricesQuantizedInPartsAreTheBytesOfTheWholeMatrix() throws Exception {
        for (QuantPreset p : new QuantPreset[] {QuantPreset.F16, QuantPreset.Q8_0, QuantPreset.Q4_K_M}) {
            int matrices = 0;
            for (LlamaGgufWriter.Planned t : LlamaGgufWriter.plan(C, p, null)) {
                if (!t.isMatrix()) continue;
                long partValues = 40L * t.rowLen(); // 40 rows: Q/K parts round down to whole heads of 32 rows
                int part = t.partRows(partValues);
                assertTrue(part < t.rows(), t.name() + " is written in more than one part");
                if (t.name().contains("attn_q") || t.name().contains("attn_k")) assertEquals(32, part, t.name());
                assertArrayEquals(whole(t, RANDOM), partwise(t, RANDOM, partValues), p + " " + t.name() + " (" + t.type() + ")");
                matrices++;
            }
            assertEquals(2 + 7 * C.nLayers(), matrices, p.name());
        }
    }

    @Test
    void aGgufReadsTheRowsAskedForInHuggingFaceOrder(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("m.gguf");
        LlamaGgufWriter.write(file, "parts", C, RANDOM, tokenizer(), QuantPreset.Q8_0, 2, null, null);
        int[] ids = {31, 0, 1, 2, 3, 64, 65, 33, 32, 127}; // runs of consecutive rows, across heads, out of order
        try (GgufFile f = GgufFile.open(file)) {
            GgufCheckpoint g = GgufCheckpoint.of(f);
            for (String name : new String[] {"model.layers.1.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight", "model.layers.0.mlp.down_proj.weight",
                    "model.embed_tokens.weight"}) {
                long[] shape = name.contains("k_proj") ? new long[] {128, 256} : name.contains("down") ? new long[] {256, 512} : name.contains("embed")
                        ? new long[] {300, 256} : new long[] {256, 256};
                float[] all = g.read(name, shape);
                float[] rows = g.readRows(name, shape[0], shape[1], ids);
                int c = (int) shape[1];
                for (int i = 0; i < ids.length; i++) {
                    assertArrayEquals(Arrays.copyOfRange(all, ids[i] * c, (ids[i] + 1) * c), Arrays.copyOfRange(rows, i * c, (i + 1) * c), name + " row " + ids[i]);
                }
            }
            assertThrows(IndexOutOfBoundsException.class, () -> g.readRows("model.layers.0.self_attn.k_proj.weight", 128, 256, new int[] {128}));
        }
    }

    @Test
    void mergedRowsAreTheRowsOfTheMergedTensor() throws Exception {
        LoraAdapter a = LoraAdapter.create(C, new LoraConfig(4, 8f, 0f, EnumSet.allOf(Projection.class), false), 5);
        Nd4j.getRandom().setSeed(9);
        for (LoraModule m : a.modules()) m.b().assign(Nd4j.randn(DataType.FLOAT, m.b().shape()).muli(0.1));
        MergedSource merged = new MergedSource(RANDOM, a);
        int[] ids = {5, 6, 7, 200, 0, 511};
        String name = "model.layers.1.mlp.gate_proj.weight";
        float[] all = merged.read(name, 512, 256);
        float[] rows = merged.readRows(name, 512, 256, ids);
        for (int i = 0; i < ids.length; i++) {
            assertArrayEquals(Arrays.copyOfRange(all, ids[i] * 256, (ids[i] + 1) * 256), Arrays.copyOfRange(rows, i * 256, (i + 1) * 256), "row " + ids[i]);
        }
        float[] base = RANDOM.readRows(name, 512, 256, ids);
        assertFalse(Arrays.equals(base, rows), "the adapter changed the rows");
    }

    /** --hf streams from the merged source shard by shard: the files of the in-memory merge (LoraMerge) written whole. */
    @Test
    void theStreamedHuggingFaceExportHasTheBytesOfTheInMemoryMerge(@TempDir Path tmp) throws Exception {
        LoraAdapter a = LoraAdapter.create(C, new LoraConfig(4, 8f, 0f, EnumSet.allOf(Projection.class), false), 5);
        Nd4j.getRandom().setSeed(9);
        for (LoraModule m : a.modules()) m.b().assign(Nd4j.randn(DataType.FLOAT, m.b().shape()).muli(0.1));
        Path streamed = tmp.resolve("streamed"), inMemory = tmp.resolve("memory");
        io.lora4j.core.model.HfModelWriter.write(streamed, C, new MergedSource(RANDOM, a), io.lora4j.core.safetensors.SafetensorsDType.F16, 1_000_000, 1, 2);
        io.lora4j.core.model.LlamaWeights merged = io.lora4j.lora.LoraMerge.merge(io.lora4j.core.model.LlamaWeights.load(C, RANDOM, DataType.FLOAT), a);
        io.lora4j.core.model.HfModelWriter.write(inMemory, C, merged, io.lora4j.core.safetensors.SafetensorsDType.F16, 1_000_000, 1, 2);
        java.util.List<String> files;
        try (var l = java.nio.file.Files.list(streamed)) {
            files = l.map(f -> f.getFileName().toString()).sorted().toList();
        }
        assertTrue(files.stream().filter(f -> f.endsWith(".safetensors")).count() > 2, "sharded: " + files);
        for (String f : files) {
            assertArrayEquals(java.nio.file.Files.readAllBytes(inMemory.resolve(f)), java.nio.file.Files.readAllBytes(streamed.resolve(f)), f);
        }
    }
}
