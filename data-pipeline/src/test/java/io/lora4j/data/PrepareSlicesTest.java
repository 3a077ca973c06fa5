package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One large JSON Lines file read in byte-range slices on two cores gives the same dataset, byte for byte, as one task reading it whole. */
class PrepareSlicesTest {
    @TempDir
    static Path tmp;

    @Test
    void slicedReadingChangesNothing() throws Exception {
        Path tok = TestTokenizer.write(tmp.resolve("vocab.gguf"), List.of("give three tips item answer thing response"), 400);
        Path in = Files.createDirectories(tmp.resolve("in"));
        StringBuilder b = new StringBuilder("\uFEFF");
        for (int i = 0; i < 700; i++) {
            b.append("{\"instruction\": \"item ").append(i % 650).append("\", \"input\": \"").append(i % 3 == 0 ? "thing " + i : "")
                    .append("\", \"output\": \"answer ").append(i % 650).append("\"}").append(i % 4 == 0 ? "\r\n" : "\n");
            if (i % 50 == 0) b.append("\n{broken\n   \n");
        }
        Files.writeString(in.resolve("one.jsonl"), b);
        PrepareConfig cfg = new PrepareConfig(List.of(new PrepareConfig.Source(in.toString(), "alpaca", null)), "alpaca", 2048, false, 0.1, false, true, 5, true);
        SparkSession spark = PrepareJob.localSession("local[2]");
        PrepareSummary sliced, whole;
        List<SparkProgress.Stage> stages;
        try {
            System.setProperty("lora4j.prepare.minSliceBytes", "10000");
            try (SparkProgress p = SparkProgress.attach(spark.sparkContext(), null, false)) {
                sliced = PrepareJob.run(spark, cfg, tok.toString(), tmp.resolve("sliced").toString(), System.out);
                p.close();
                stages = p.finished();
            }
            System.setProperty("lora4j.prepare.minSliceBytes", Long.toString(Long.MAX_VALUE));
            whole = PrepareJob.run(spark, cfg, tok.toString(), tmp.resolve("whole").toString(), new PrintStream(PrintStream.nullOutputStream()));
        } finally {
            System.clearProperty("lora4j.prepare.minSliceBytes");
            spark.stop();
        }
        assertTrue(stages.stream().anyMatch(s -> s.name.equals("read") && s.tasks == 2), "the newline count of two slices: " + stages.stream().map(s -> s.name + " " + s.tasks).toList());
        assertTrue(stages.stream().anyMatch(s -> s.name.equals("tokenize") && s.tasks == 2 && s.records() == 714), "both slices tokenized, no raw shuffle: " + stages.stream().map(s -> s.name + " " + s.tasks + " " + s.records()).toList());
        assertEquals(whole, sliced);
        assertEquals(714, sliced.read());
        assertEquals(14, sliced.rejected());
        assertEquals(16, sliced.duplicates(), "items i and i + 650 without input (i % 3 == 2)");
        PrepareJobTest.assertSameShards(tmp.resolve("whole"), tmp.resolve("sliced"));
        assertEquals(PrepareJobTest.readRejects(tmp.resolve("whole")), PrepareJobTest.readRejects(tmp.resolve("sliced")));
    }
}
