package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.testing.SharedData;
import io.lora4j.export.quant.ImportanceMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lora4j export --imatrix-from-data writes imatrix.dat beside the GGUFs and quantizes with it. */
class ExportImatrixFromDataSharedDataTest {

    @Test
    void writesTheMatrixAndQuantizesWithIt(@TempDir Path tmp) throws Exception {
        String model = SharedData.file("models/stories260K.gguf").toString();
        Path text = tmp.resolve("eval.txt");
        Files.writeString(text, "Once upon a time, there was a little girl named Lily. She liked to play in the park.\n\n"
                + "One day, a big dog came to the park. The dog was very happy and wanted to play with Lily.\n");
        Path with = tmp.resolve("with"), without = tmp.resolve("without");
        CliSharedDataTest.Run r = CliSharedDataTest.run("export", "--model", model, "--type", "Q4_K_M", "--eval-text", text.toString(),
                "--imatrix-from-data", "--report", "--out", with.toString(), "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| type | perplexity, no imatrix | perplexity, with imatrix | Δ |"), r.out());
        assertTrue(r.out().contains("| Q4_K_M | "), r.out());
        System.out.print(r.out());
        assertTrue(r.out().contains("imatrix.dat"), r.out());
        ImportanceMatrix m = ImportanceMatrix.read(with.resolve("imatrix.dat"));
        assertEquals(35, m.entries().size());
        assertEquals(2, m.chunks()); // two non-blank lines, one call each
        assertEquals(text.toString(), m.dataset());
        try (GgufFile f = GgufFile.open(with.resolve("model.Q4_K_M.gguf"))) {
            assertEquals(with.resolve("imatrix.dat").toString(), f.metadata().getString("quantize.imatrix.file"));
            assertEquals(35, f.metadata().getInt32("quantize.imatrix.entries_count"));
            assertEquals(2, f.metadata().getInt32("quantize.imatrix.chunks_count"));
        }
        assertEquals(0, CliSharedDataTest.run("export", "--model", model, "--type", "Q4_K_M", "--eval-text", text.toString(),
                "--out", without.toString(), "--threads", "1").code());
        try (GgufFile a = GgufFile.open(with.resolve("model.Q4_K_M.gguf")); GgufFile b = GgufFile.open(without.resolve("model.Q4_K_M.gguf"))) {
            var t = "blk.0.attn_q.weight";
            assertFalse(a.tensorBytes(a.tensor(t).orElseThrow()).equals(b.tensorBytes(b.tensor(t).orElseThrow())), "the imatrix must change the quantized weights");
        }

        // both matrices at once, and a non-empty directory, are refused before anything is written
        CliSharedDataTest.Run both = CliSharedDataTest.run("export", "--model", model, "--imatrix-from-data", "--imatrix", with.resolve("imatrix.dat").toString(),
                "--out", tmp.resolve("x").toString());
        assertNotEquals(0, both.code());
        assertTrue(both.err().contains("--imatrix and --imatrix-from-data"), both.err());
        CliSharedDataTest.Run again = CliSharedDataTest.run("export", "--model", model, "--imatrix-from-data", "--out", with.toString());
        assertNotEquals(0, again.code());
        assertTrue(again.err().contains("not empty"), again.err());
    }
}
