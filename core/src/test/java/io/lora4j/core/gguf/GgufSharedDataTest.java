package io.lora4j.core.gguf;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.Float16;
import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
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

    static List<Path> sharedGgufFiles() throws Exception {
        Path root = SharedData.root();
        List<Path> files = new ArrayList<>();
        for (String dir : List.of("models", "tokenizers", "reference/synth-a")) {
            try (Stream<Path> s = Files.list(SharedData.file(dir))) {
                s.filter(p -> p.toString().endsWith(".gguf")).sorted().forEach(files::add);
            }
        }
        assertEquals(10, files.size(), "2 models, 1 vocab, 7 synth-a files under " + root + ": " + files);
        return files;
    }

    /** Every shared file opens, every tensor dequantizes to finite values, and the data ends where the file does. */
    @Test
    void opensAndReadsEverySharedGgufFile() throws Exception {
        for (Path p : sharedGgufFiles()) {
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(3, f.version(), p.toString());
                assertEquals("llama", f.metadata().getString("general.architecture"), p.toString());
                long end = f.dataStart();
                for (GgufTensorInfo t : f.tensors()) {
                    float[] v = f.readFloats(t);
                    assertEquals(t.elementCount(), v.length);
                    for (int i = 0; i < v.length; i++) assertTrue(Float.isFinite(v[i]), p + " " + t.name() + "[" + i + "]");
                    end = f.dataStart() + t.offset() + (t.byteSize() + f.alignment() - 1) / f.alignment() * f.alignment();
                }
                assertEquals(Files.size(p), end, p + ": data padded up to the end of the file");
            }
        }
        try (GgufFile vocab = GgufFile.open(SharedData.file("tokenizers/ggml-vocab-llama-spm.gguf"))) {
            assertEquals(0, vocab.tensors().size());
            assertEquals("llama", vocab.metadata().getString("tokenizer.ggml.model"));
            assertEquals(32000, vocab.metadata().getStringArray("tokenizer.ggml.tokens").length);
            assertEquals(32000, vocab.metadata().getFloat32Array("tokenizer.ggml.scores").length);
        }
        try (GgufFile tiny = GgufFile.open(SharedData.file("models/llama-2-tiny-random.gguf"))) {
            assertEquals(12, tiny.tensors().size());
            assertEquals(8, tiny.metadata().getUInt32("llama.embedding_length"));
            assertEquals(32, tiny.metadata().getUInt32("llama.feed_forward_length"));
            assertEquals(2, tiny.metadata().getUInt32("llama.attention.head_count"));
            assertEquals(1, tiny.metadata().getUInt32("llama.block_count"));
            assertTrue(tiny.tensors().stream().anyMatch(t -> t.type() == GgmlType.F16));
        }
        try (GgufFile lora = GgufFile.open(SharedData.file("reference/synth-a/lora-r8.gguf"))) {
            assertEquals("adapter", lora.metadata().getString("general.type"));
            long rank8 = lora.tensors().stream().filter(t -> t.name().endsWith(".lora_a") && t.ne()[1] == 8).count();
            assertEquals(2 * 7, rank8, "lora_a of 7 targets in 2 layers, rank 8 (ne = [in, r])");
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
        try (GgufFile f = GgufFile.open(src)) {
            assertEquals(256, f.metadata().getUInt32("llama.embedding_length"));
            assertEquals(2, f.metadata().getUInt32("llama.block_count"));
        }
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(rewrite(src, tmp.resolve("copy.gguf"))));
    }

    /** llama.cpp's writers (gguf-py, ggml, llama-quantize) and ours agree byte for byte on every shared file. */
    @Test
    void rewritingEverySharedGgufIsByteIdentical(@TempDir Path tmp) throws Exception {
        for (Path src : sharedGgufFiles()) {
            assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(rewrite(src, tmp.resolve("copy.gguf"))), src.toString());
        }
    }

    private static Path rewrite(Path src, Path out) throws Exception {
        try (GgufFile f = GgufFile.open(src)) {
            GgufWriter w = new GgufWriter().putAll(f.metadata());
            for (GgufTensorInfo t : f.tensors()) w.addTensor(t.name(), t.ne(), t.type(), f.tensorBytes(t));
            w.write(out);
        }
        return out;
    }

    @Test
    void f16FileHoldsTheF32ValuesRoundedToHalf() throws Exception {
        try (GgufFile f32 = GgufFile.open(SharedData.file("reference/synth-a/f32.gguf"));
             GgufFile f16 = GgufFile.open(SharedData.file("reference/synth-a/F16.gguf"))) {
            int checked = 0;
            assertEquals(f32.tensors().size(), f16.tensors().size());
            for (GgufTensorInfo t : f16.tensors()) {
                float[] a = f32.readFloats(t.name()), b = f16.readFloats(t);
                assertEquals(a.length, b.length);
                if (t.type() == GgmlType.F32) {
                    assertEquals(1, t.nDims(), "llama-quantize keeps only 1-D tensors in F32: " + t);
                    assertArrayEquals(a, b, t.name());
                    continue;
                }
                assertEquals(GgmlType.F16, t.type());
                for (int i = 0; i < a.length; i++) assertEquals(Float16.halfToFloat(Float16.floatToHalf(a[i])), b[i], 0f, t.name() + "[" + i + "]");
                checked++;
            }
            assertTrue(checked > 10);
        }
    }
}
