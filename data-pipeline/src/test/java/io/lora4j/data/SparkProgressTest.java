package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Tuple2;

/** The progress listener counts the stages, tasks and records of real jobs, and the prepare job shows its steps. */
class SparkProgressTest {
    @TempDir
    static Path tmp;
    static SparkSession spark;

    @BeforeAll
    static void setUp() {
        spark = PrepareJob.localSession("local[2]");
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) spark.stop();
    }

    @Test
    void countsTasksAndRecordsOfEachStage() {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        List<SparkProgress.Stage> stages;
        try (SparkProgress p = SparkProgress.attach(spark.sparkContext(), new PrintStream(text, true, StandardCharsets.UTF_8), false)) {
            LongAccumulator records = spark.sparkContext().longAccumulator(SparkProgress.RECORDS);
            SparkProgress.step(spark.sparkContext(), "count things");
            long n = sc.parallelize(IntStream.range(0, 1000).boxed().toList(), 4).map(x -> {
                records.add(1);
                return x;
            }).count();
            assertEquals(1000, n);
            SparkProgress.step(spark.sparkContext(), "group things");
            List<Tuple2<Integer, Integer>> sums = sc.parallelize(IntStream.range(0, 1000).boxed().toList(), 4).mapToPair(x -> new Tuple2<>(x % 3, 1))
                    .reduceByKey(Integer::sum, 3).collect();
            assertEquals(3, sums.size());
            spark.sparkContext().clearCallSite();
            p.close();
            stages = p.finished();
        }
        assertEquals(3, stages.size(), "one stage, then a shuffle map stage and its result stage");
        SparkProgress.Stage count = stages.get(0), map = stages.get(1), reduce = stages.get(2);
        assertEquals("count things", count.name);
        assertEquals(4, count.tasks);
        assertEquals(4, count.done());
        assertEquals(1000, count.records(), "the step's own record count");
        assertEquals("group things", map.name);
        assertEquals(4, map.tasks);
        assertEquals(4, map.done());
        assertEquals(12, map.records(), "shuffle records written: 3 combined keys per map task");
        assertEquals("group things", reduce.name);
        assertEquals(3, reduce.tasks);
        assertEquals(3, reduce.done());
        assertEquals(12, reduce.records(), "shuffle records read");
        String out = text.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("count things") && out.contains("4/4 tasks, 1,000 records"), out);
        assertTrue(out.contains("3/3 tasks, 12 records"), out);
        assertEquals(3, out.lines().count(), "one line per stage when not on a terminal: " + out);
    }

    @Test
    void prepareShowsItsStepsBeforeTheSummary() throws Exception {
        Path tok = TestTokenizer.write(tmp.resolve("vocab.gguf"), List.of("say hello answer item"), 300);
        Path in = tmp.resolve("in.jsonl");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 40; i++) b.append("{\"instruction\": \"say item ").append(i).append("\", \"output\": \"hello ").append(i).append("\"}\n");
        b.append("{broken\n");
        Files.writeString(in, b);
        PrepareConfig cfg = new PrepareConfig(List.of(new PrepareConfig.Source(in.toString(), "alpaca", null)), "alpaca", 2048, false, 0.1, false, true, 3);
        ByteArrayOutputStream progress = new ByteArrayOutputStream(), log = new ByteArrayOutputStream();
        PrepareJob.run(spark, cfg, tok.toString(), tmp.resolve("out").toString(), "", new PrintStream(log, true, StandardCharsets.UTF_8),
                new PrintStream(progress, true, StandardCharsets.UTF_8));
        String p = progress.toString(StandardCharsets.UTF_8);
        assertTrue(p.lines().anyMatch(l -> l.contains("tokenize") && l.contains("41 records")), p);
        assertTrue(p.lines().anyMatch(l -> l.contains("write shards") && l.contains("2/2 tasks, 41 records")), "one shard and the rejects: " + p);
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("| read "), "the summary goes to the log");
        assertFalse(p.contains("| read "), "progress and summary do not mix");
    }
}
