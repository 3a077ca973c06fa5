package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.testing.SharedData;
import io.lora4j.data.PreparedDataset;
import io.lora4j.data.TokenizedExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import io.lora4j.data.TokenizedExample;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lora4j prepare} through the real command line with data.packing from the config: the summary reports
 * sequences and examples, and each packed sequence keeps every example's own mask (prompt -100, response trained).
 */
class PrepareCliSharedDataTest {
    @Test
    void prepareWithPackingKeepsEachExamplesMask(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("run.yaml");
        Files.writeString(cfg, String.join("\n",
                "base_model: " + SharedData.file("tokenizers/llama2_tokenizer.model"),
                "output_dir: " + tmp.resolve("run"),
                "data:",
                "  sources: [{path: " + SharedData.file("instructions/alpaca_cleaned_en_1000.json") + ", format: alpaca}]",
                "  cutoff_len: 1024",
                "  val_size: 0.05",
                "train: {micro_batch: 1, batch: 1, max_steps: 1, lr: 1.0e-3}", ""));
        Path packedOut = tmp.resolve("packed"), plainOut = tmp.resolve("plain");
        CliSharedDataTest.Run p = CliSharedDataTest.run("prepare", "-c", cfg.toString(), "--set", "data.packing=true", "--out", packedOut.toString(),
                "--master", "local[2]");
        assertEquals(0, p.code(), p.err());
        CliSharedDataTest.Run u = CliSharedDataTest.run("prepare", "-c", cfg.toString(), "--out", plainOut.toString(), "--master", "local[2]");
        assertEquals(0, u.code(), u.err());

        var packed = PreparedDataset.open(packedOut.toString());
        var plain = PreparedDataset.open(plainOut.toString());
        assertTrue(packed.manifest().getPacking());
        assertFalse(plain.manifest().getPacking());
        int examples = plain.train().size(), sequences = packed.train().size();
        assertTrue(sequences < examples / 2, sequences + " sequences for " + examples + " examples");
        // the summary names both numbers; progress went to stderr, one line per step
        assertTrue(p.out().replaceAll(" +", " ").contains(String.format("| train examples | %,d |", examples)), p.out());
        assertTrue(p.out().replaceAll(" +", " ").contains(String.format("| packed into train sequences | %,d |", sequences)), p.out());
        assertTrue(p.out().contains("packing: "), p.out());
        assertFalse(u.out().contains("packed into"), u.out());
        assertTrue(p.err().contains("tokenize") && p.err().contains("write shards"), p.err());

        int bos = 1;
        for (String split : new String[] {"train", "val"}) {
            List<TokenizedExample> x = split.equals("train") ? plain.train() : plain.val(), y = split.equals("train") ? packed.train() : packed.val();
            // the same ids and labels in the same order, only cut into sequences of at most cutoff_len
            assertArrayEquals(flatten(x, true), flatten(y, true), split + " ids");
            assertArrayEquals(flatten(x, false), flatten(y, false), split + " labels");
            List<String> sources = new ArrayList<>();
            for (TokenizedExample row : y) {
                assertTrue(row.inputIds().length <= 1024, "within cutoff_len");
                String[] parts = row.source().split(" \\+ ");
                sources.addAll(List.of(parts));
                // every example in the row starts with its own BOS, and its prompt (from that BOS on) is masked
                int[] starts = IntStream.range(0, row.inputIds().length).filter(i -> row.inputIds()[i] == bos).toArray();
                assertEquals(parts.length, starts.length, row.source());
                for (int s : starts) assertEquals(-100, row.labels()[s], row.source() + " at " + s);
                for (int i = 0; i < row.labels().length; i++) assertTrue(row.labels()[i] == -100 || row.labels()[i] == row.inputIds()[i]);
                assertTrue(IntStream.of(row.labels()).filter(l -> l != -100).count() >= parts.length, "every example trains on its response");
            }
            assertEquals(x.stream().map(TokenizedExample::source).toList(), sources, split + ": every example once, in order");
        }
    }

    static int[] flatten(List<TokenizedExample> l, boolean ids) {
        return l.stream().flatMapToInt(e -> IntStream.of(ids ? e.inputIds() : e.labels())).toArray();
    }
}
