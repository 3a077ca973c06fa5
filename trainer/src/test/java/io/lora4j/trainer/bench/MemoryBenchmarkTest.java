package io.lora4j.trainer.bench;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.gguf.GgufWriter;
import io.lora4j.core.model.BaseDtype;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench memory table (its cells and the skip rule) without running the long step. */
class MemoryBenchmarkTest {
    private static final long GIB = 1L << 30, MIB = 1L << 20;

    /** LLaMA-2-7B: 6,738,415,616 parameters, of which 65 norm vectors of 4096 are not matrices. */
    private static final long SEVEN_B_MATRIX_PARAMS = 6_738_415_616L - 65L * 4096;

    @Test
    void matrixBytesAreThe7bParameterCountTimesTheTypesBytesPerWeight() {
        assertEquals(4 * SEVEN_B_MATRIX_PARAMS, MemoryBenchmark.matrixBytes(GgmlType.F32, 32));
        assertEquals(2 * SEVEN_B_MATRIX_PARAMS, MemoryBenchmark.matrixBytes(GgmlType.BF16, 32));
        assertEquals(SEVEN_B_MATRIX_PARAMS / 32 * 34, MemoryBenchmark.matrixBytes(GgmlType.Q8_0, 32));
        assertEquals(SEVEN_B_MATRIX_PARAMS / 32 * 18, MemoryBenchmark.matrixBytes(GgmlType.Q4_0, 32));
    }

    @Test
    void f32At32LayersIsSkippedOnA24GibMachineAndTheOthersAreNot() {
        long ram = 24 * GIB, disk = 500 * GIB;
        String f32 = MemoryBenchmark.skipReason(GgmlType.F32, MemoryBenchmark.matrixBytes(GgmlType.F32, 32), ram, disk);
        assertEquals("skipped: F32 base of 25.1 GiB does not fit in 24.0 GiB of RAM", f32);
        for (GgmlType t : new GgmlType[] {GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0}) {
            assertNull(MemoryBenchmark.skipReason(t, MemoryBenchmark.matrixBytes(t, 32), ram, disk), t.name());
        }
        // the reserve beside the base: a base 1 byte over RAM minus the reserve is skipped, one at it is not
        long limit = ram - MemoryBenchmark.STEP_RESERVE_BYTES;
        assertNull(MemoryBenchmark.skipReason(GgmlType.BF16, limit, ram, disk));
        assertNotNull(MemoryBenchmark.skipReason(GgmlType.BF16, limit + 1, ram, disk));
        // a file that does not fit on the disk
        assertEquals("skipped: Q4_0 base of 3.5 GiB does not fit in the 2.0 GiB free on the disk",
                MemoryBenchmark.skipReason(GgmlType.Q4_0, MemoryBenchmark.matrixBytes(GgmlType.Q4_0, 32), ram, 2 * GIB));
        // unknown RAM or disk (-1) skips nothing
        assertNull(MemoryBenchmark.skipReason(GgmlType.F32, MemoryBenchmark.matrixBytes(GgmlType.F32, 32), -1, -1));
    }

    @Test
    void aMeasuredRowStartsWithTheIssuesCellsInOrder() {
        var step = new MemoryBenchmark.StepResult("m.gguf", BaseDtype.AUTO, 512, true, 10.5, 3600 * MIB, 1000 * MIB, 900 * MIB, 4321 * MIB,
                2048 * MIB, 100 * MIB, 200 * MIB, 172 * MIB, 25.0, 3.25, 40.0, 500.0);
        var export = new MemoryBenchmark.ExportResult(1500 * MIB, 20.0, 400_000_000L);
        String row = MemoryBenchmark.format(new MemoryBenchmark.Row(GgmlType.Q4_0, 32, step.line(), export, null));
        String[] cells = cells(row);
        assertEquals(cells(MemoryBenchmark.HEADER).length, cells.length, row);
        assertEquals("Q4_0", cells[0]);
        assertEquals("32", cells[1]);
        assertEquals("4321", cells[2]);      // train peak RSS MiB: the step's peak (above loading's)
        assertEquals("25.0", cells[3]);      // step s
        assertEquals("1500", cells[4]);      // export peak RSS MiB
        assertEquals("2048", cells[5]);      // ND4J off-heap peak
        assertEquals("20.5", cells[6]);      // 512 tokens / 25 s
        assertEquals("0.500", cells[7]);     // 500 GFLOP / 25 s = 20 GFLOP/s of a 40 GFLOP/s peak
        assertEquals("20.0", cells[8]);      // 400 MB / 20 s
        assertEquals("3600", cells[9]);
        assertEquals("172", cells[12]);
        assertEquals("3.25", cells[13]);     // seconds of the step spent expanding stored weights
        assertEquals("10.5000", cells[14]);
        assertEquals("", cells[15]);
        // loading's peak counts when it is the higher one
        var loadHigher = new MemoryBenchmark.StepResult("m.gguf", BaseDtype.AUTO, 512, true, 1, 0, 5000 * MIB, 0, 4321 * MIB, 0, 0, 0, 0, 1, 0, 1, 1);
        assertEquals("5000", cells(MemoryBenchmark.format(new MemoryBenchmark.Row(GgmlType.Q4_0, 32, loadHigher.line(), null, null)))[2]);
    }

    @Test
    void theHeaderStartsExactlyAsTheIssueRequires() {
        assertTrue(MemoryBenchmark.header().startsWith("| base | layers | train peak RSS MiB | step s | export peak RSS MiB |"));
        assertTrue(MemoryBenchmark.header().endsWith("|--:|---|"), "numbers right-aligned, the note left");
        String[] lines = MemoryBenchmark.header().split("\n");
        assertEquals(2, lines.length);
        assertEquals(cells(lines[0]).length, lines[1].split("\\|", -1).length - 2, "one alignment cell per column");
    }

    @Test
    void aSkippedRowSaysWhyAndHasNoNumbers() {
        String why = "skipped: F32 base of 25.1 GiB does not fit in 24.0 GiB of RAM";
        String[] cells = cells(MemoryBenchmark.format(new MemoryBenchmark.Row(GgmlType.F32, 32, null, null, why)));
        assertEquals(cells(MemoryBenchmark.HEADER).length, cells.length);
        assertEquals("F32", cells[0]);
        assertEquals("32", cells[1]);
        for (int i = 2; i < cells.length - 1; i++) assertEquals("-", cells[i], "cell " + i);
        assertEquals(why, cells[cells.length - 1]);
        // a failure message cannot break the table
        String[] failed = cells(MemoryBenchmark.format(new MemoryBenchmark.Row(GgmlType.Q8_0, 1, null, null, "failed: a|b\nc")));
        assertEquals(cells(MemoryBenchmark.HEADER).length, failed.length);
        assertEquals("failed: a/b c", failed[failed.length - 1]);
    }

    @Test
    void theSyntheticVocabularyLoadsAsALlamaSentencePieceTokenizer(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("vocab.gguf");
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", io.lora4j.core.gguf.GgufValue.string("llama"));
        MemoryBenchmark.putVocabulary(w);
        w.write(f);
        Tokenizer t = Tokenizers.load(f);
        assertEquals(MemoryBenchmark.VOCAB, t.model().size());
        assertEquals(1, t.bosId());
        assertEquals(2, t.eosId());
        assertEquals("<0x41>", t.model().tokens()[3 + 0x41]);
    }

    @Test
    void aCompleteModelWithItsVocabularyIsReusedAsItIs(@TempDir Path tmp) throws Exception {
        Path f = MemoryBenchmark.modelPath(tmp, GgmlType.Q4_0, 32);
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", io.lora4j.core.gguf.GgufValue.string("llama"));
        MemoryBenchmark.putVocabulary(w);
        w.write(f);
        byte[] before = java.nio.file.Files.readAllBytes(f);
        assertEquals(f, MemoryBenchmark.ensure(tmp, GgmlType.Q4_0, 32));
        assertArrayEquals(before, java.nio.file.Files.readAllBytes(f), "not written again");
    }

    private static String[] cells(String row) {
        String inner = row.substring(row.indexOf('|') + 1, row.lastIndexOf('|'));
        String[] c = inner.split("\\|", -1);
        for (int i = 0; i < c.length; i++) c[i] = c[i].trim();
        return c;
    }
}
