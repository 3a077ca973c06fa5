package io.lora4j.core.gguf;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.Float16;
import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GGUF reader and writer against llama.cpp's own files in shared/data. */
class GgufSharedDataTest {

    @Test
    void readsStories260k() throws Exception {
        try (GgufFile f = GgufFile.open(SharedData.file("models/stories260K.gguf"))) {
            assertEquals(3, f.version());
            assertEquals(48, f.tensors().size());
            assertEquals("llama", f.metadata().getString("general.architecture"));
            assertEquals(128, f.metadata().getUInt32("llama.context_length"));
            assertEquals(512, f.metadata().getStringArray("tokenizer.ggml.tokens").length);
            assertEquals(1e-5f, f.metadata().getFloat32("llama.attention.layer_norm_rms_epsilon"), 1e-9);
            GgufTensorInfo emb = f.tensor("token_embd.weight").orElseThrow();
            assertArrayEquals(new long[] {64, 512}, emb.ne());
            assertEquals(GgmlType.F32, emb.type());
        }
    }

    @Test
    void opensEverySharedGgufFile() throws Exception {
        Path root = SharedData.file("reference/synth-a/f32.gguf").getParent().getParent().getParent();
        var files = Files.walk(root).filter(p -> p.toString().endsWith(".gguf")).sorted().collect(Collectors.toList());
        assertTrue(files.size() >= 9, "expected the shared GGUF files, found " + files);
        for (Path p : files) {
            try (GgufFile f = GgufFile.open(p)) {
                assertTrue(f.metadata().contains("general.architecture"), p.toString());
                for (GgufTensorInfo t : f.tensors()) {
                    assertTrue(f.dataStart() + t.offset() + t.byteSize() <= Files.size(p));
                }
            }
        }
        try (GgufFile lora = GgufFile.open(SharedData.file("reference/synth-a/lora-r8.gguf"))) {
            assertEquals("adapter", lora.metadata().getString("general.type"));
            assertEquals("lora", lora.metadata().getString("adapter.type"));
            assertEquals(16f, lora.metadata().getFloat32("adapter.lora.alpha"));
        }
        try (GgufFile q = GgufFile.open(SharedData.file("reference/synth-a/Q4_K_M.gguf"))) {
            var types = q.tensors().stream().map(GgufTensorInfo::type).collect(Collectors.toSet());
            assertTrue(types.contains(GgmlType.Q4_K) && types.contains(GgmlType.Q6_K), types.toString());
        }
    }

    @Test
    void rewritingF32GgufIsByteIdentical(@TempDir Path tmp) throws Exception {
        Path src = SharedData.file("reference/synth-a/f32.gguf");
        Path out = tmp.resolve("copy.gguf");
        try (GgufFile f = GgufFile.open(src)) {
            assertEquals(256, f.metadata().getUInt32("llama.embedding_length"));
            assertEquals(2, f.metadata().getUInt32("llama.block_count"));
            GgufWriter w = new GgufWriter().putAll(f.metadata());
            for (GgufTensorInfo t : f.tensors()) w.addTensor(t.name(), t.ne(), t.type(), f.tensorBytes(t));
            w.write(out);
        }
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(out));
    }

    @Test
    void f16FileHoldsTheF32ValuesRoundedToHalf() throws Exception {
        try (GgufFile f32 = GgufFile.open(SharedData.file("reference/synth-a/f32.gguf"));
             GgufFile f16 = GgufFile.open(SharedData.file("reference/synth-a/F16.gguf"))) {
            int checked = 0;
            for (GgufTensorInfo t : f16.tensors()) {
                if (t.type() != GgmlType.F16) continue;
                float[] a = f32.readFloats(t.name()), b = f16.readFloats(t);
                for (int i = 0; i < a.length; i++) assertEquals(Float16.halfToFloat(Float16.floatToHalf(a[i])), b[i], 0f, t.name() + "[" + i + "]");
                checked++;
            }
            assertTrue(checked > 10);
        }
    }
}
