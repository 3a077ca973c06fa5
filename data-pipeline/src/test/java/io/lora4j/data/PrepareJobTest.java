package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.proto.DatasetManifest;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prepare job on real Spark (local mode, one session for the class): the bad-input matrix, ids and masks against
 * an independent tokenization, determinism between runs and between local[1] and local[2], the split rules, packing,
 * and the Spark-free reader against Spark's own.
 */
class PrepareJobTest {
    @TempDir
    static Path tmp;
    static Path tokenizer;
    static Tokenizer tok;
    static SparkSession spark;

    @BeforeAll
    static void setUp() throws Exception {
        String template = PromptTemplate.ALPACA.promptInput().replace("\n", " ").replaceAll("[^A-Za-z ]", " ");
        tokenizer = TestTokenizer.write(tmp.resolve("vocab.gguf"), List.of("give three tips for staying healthy", "eat well and sleep",
                "the capital of france is paris", template, template, "item answer thing response"), 700);
        tok = Tokenizers.load(tokenizer);
        spark = PrepareJob.localSession("local[2]");
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) spark.stop();
    }

    static PrepareConfig config(String uri, double val, boolean packing, int cutoff) {
        return new PrepareConfig(List.of(new PrepareConfig.Source(uri, "auto", null)), "alpaca", cutoff, false, val, false, true, 42, packing);
    }

    static PrepareSummary run(PrepareConfig cfg, Path out) throws Exception {
        return PrepareJob.run(spark, cfg, tokenizer.toString(), out.toString(), System.out);
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void badInputIsRejectedWithReasonAndPositionAndTheCountsAddUp() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("mixed-dir"));
        Files.writeString(dir.resolve("good.json"), "[{\"instruction\": \"Give three tips\", \"input\": \"\", \"output\": \"Eat well and sleep.\"},"
                + "{\"instruction\": \"Capital of France?\", \"input\": \"\", \"output\": \"Paris.\"}]");
        Files.writeString(dir.resolve("broken-array.json"), "[{\"instruction\": \"One\", \"output\": \"1\"}, {\"instruction\": \"Two\", \"outp");
        List<String> lines = List.of(
                "{\"instruction\": \"Say hi\", \"output\": \"hi\"}",                      // 1 kept
                "{\"instruction\": \"Say hi\", \"output\": \"hi\"}",                      // 2 duplicate
                "{\"instruction\": \"Say  hi \", \"output\": \"hi\"}",                    // 3 duplicate after whitespace normalization
                "{\"instruction\": \"broken\", \"output\": ",                             // 4 malformed JSON
                "{\"output\": \"no instruction\"}",                                      // 5 missing instruction
                "{\"instruction\": \"no output\"}",                                      // 6 missing output
                "{\"instruction\": 42, \"output\": \"x\"}",                              // 7 non-string field
                "{\"instruction\": \"empty\", \"output\": \"  \"}",                       // 8 empty response
                "",                                                                      // 9 blank: not a record
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"hello\"}, {\"from\": \"gpt\", \"value\": \"hi there\"}]}", // 10 kept (auto: ShareGPT)
                "[\"an\", \"array\"]");                                                  // 11 not an object
        Files.write(dir.resolve("mixed.jsonl"), String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
        Files.write(dir.resolve("latin1.jsonl"), "{\"instruction\": \"ok\", \"output\": \"fine\"}\n{\"instruction\": \"caf\u00e9\", \"output\": \"x\"}\n"
                .getBytes(StandardCharsets.ISO_8859_1));
        Files.writeString(dir.resolve("empty.json"), "");
        Files.writeString(dir.resolve("notes.txt"), "this is not JSON at all\nneither is this\n");
        Path sub = Files.createDirectories(dir.resolve("more"));
        Files.writeString(sub.resolve("nested.jsonl"), "{\"instruction\": \"Nested\", \"output\": \"found\"}\n");
        // Parquet input (a directory as Spark writes it): rows become records; a null output is a missing field
        org.apache.spark.sql.types.StructType alpaca = new org.apache.spark.sql.types.StructType().add("instruction", "string").add("input", "string")
                .add("output", "string");
        spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create("Parquet one", "", "P1"), org.apache.spark.sql.RowFactory.create("Parquet two", "x", null),
                org.apache.spark.sql.RowFactory.create("Parquet three", null, "P3")), alpaca).coalesce(1).write().parquet(dir.resolve("table.parquet").toString());
        Files.writeString(dir.resolve("_SUCCESS"), "");      // Hadoop markers and hidden files are not inputs
        Files.writeString(dir.resolve(".part.crc"), "junk");

        Path out = tmp.resolve("out-bad");
        PrepareSummary s = run(config(dir.toString(), 0, false, 256), out);

        Map<String, String> expected = new TreeMap<>(Map.of(
                "broken-array.json[1]", "malformed JSON array", "mixed.jsonl:4", "malformed JSON", "mixed.jsonl:5", "missing field 'instruction'",
                "mixed.jsonl:6", "missing field 'output'", "mixed.jsonl:7", "field 'instruction' is NUMBER, expected a string",
                "mixed.jsonl:8", "empty response", "mixed.jsonl:11", "not a JSON object", "latin1.jsonl:2", "invalid UTF-8",
                "empty.json", "empty file", "notes.txt:1", "malformed JSON"));
        expected.put("notes.txt:2", "malformed JSON");
        expected.put("table.parquet:1", "missing field 'output'"); // rows are numbered from 0
        Map<String, String> got = new TreeMap<>();
        List<JsonNode> rejects = readRejects(out);
        for (JsonNode r : rejects) {
            String where = r.get("source").asText();
            String file = where.contains("table.parquet/part-") ? "table.parquet" + where.substring(where.lastIndexOf(':')) : where.substring(where.lastIndexOf('/') + 1);
            got.put(file, RecordParser.category(r.get("reason").asText()));
            assertTrue(r.has("record"), "the original line is kept: " + r);
        }
        assertEquals(expected, got, "every bad record is in rejects/ with file, line and reason");
        assertTrue(rejects.stream().anyMatch(r -> r.get("record").asText().equals("{\"instruction\": \"broken\", \"output\":")), "the original text");

        // kept: 2 (good.json) + 1 (broken-array) + "Say hi" + ShareGPT + latin1 line 1 + nested + 2 Parquet rows = 9; duplicates 2
        assertEquals(9, s.kept(), s.format());
        assertEquals(2, s.duplicates(), s.format());
        assertEquals(expected.size(), s.rejected(), s.format());
        assertEquals(s.read(), s.kept() + s.rejected() + s.duplicates(), "read = kept + rejected + duplicates");
        assertEquals(9 + 2 + expected.size(), s.read());
        Map<String, Long> byReason = expected.values().stream().collect(Collectors.groupingBy(v -> v, TreeMap::new, Collectors.counting()));
        assertEquals(byReason, new TreeMap<>(s.rejectReasons()));

        DatasetManifest m = PreparedDataset.manifest(out.toString());
        assertEquals(byReason, new TreeMap<>(m.getRejectCountsMap()));
        assertEquals(Map.of("read", s.read(), "rejected", s.rejected(), "duplicates", 2L, "kept", 9L, "truncated", 0L, "train_examples", 9L,
                "val_examples", 0L, "train_rows", 9L, "val_rows", 0L), m.getStageCountsMap());
        var data = PreparedDataset.open(out.toString());
        assertEquals(9, data.train().size());
        assertEquals(2, data.train().stream().filter(e -> e.source().contains("table.parquet/part-")).count(), "Parquet rows are read");
        assertTrue(data.val().isEmpty());
        assertTrue(data.train().stream().anyMatch(e -> e.source().endsWith("nested.jsonl:1")), "subdirectories are read");
        assertTrue(Files.exists(out.resolve("manifest.json")));
        assertEquals(s.read(), new ObjectMapper().readTree(out.resolve("manifest.json").toFile()).get("stageCounts").get("read").asLong());
    }

    static List<JsonNode> readRejects(Path out) throws Exception {
        List<JsonNode> rejects = new ArrayList<>();
        try (Stream<Path> files = Files.list(out.resolve("rejects"))) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
                for (String l : Files.readAllLines(f)) rejects.add(new ObjectMapper().readTree(l));
            }
        }
        return rejects;
    }

    // ---------------------------------------------------------------- ids, masks, determinism, split, packing

    /** 2 × 300 Alpaca records (some with input), one long response that must be truncated. */
    static Map<String, JsonNode> writeCorpus(Path dir, String prefix, int n) throws Exception {
        Files.createDirectories(dir);
        Map<String, JsonNode> byLine = new HashMap<>();
        ObjectMapper json = new ObjectMapper();
        for (String file : new String[] {prefix + "a.jsonl", prefix + "b.jsonl"}) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < n; i++) {
                var o = json.createObjectNode().put("instruction", file.replace(".jsonl", "") + " item " + i)
                        .put("input", i % 3 == 0 ? "thing " + (i % 11) : "").put("output", "answer " + (i % 37) + (i == 7 ? " sleep".repeat(250) : ""));
                b.append(o).append('\n');
                byLine.put(file + ":" + (i + 1), o);
            }
            Files.writeString(dir.resolve(file), b);
        }
        return byLine;
    }

    static List<byte[]> shardBytes(Path split) throws Exception {
        List<byte[]> out = new ArrayList<>();
        for (org.apache.hadoop.fs.Path p : PreparedDataset.shards(split.toString())) out.add(Files.readAllBytes(Path.of(p.toUri())));
        return out;
    }

    static void assertSameShards(Path a, Path b) throws Exception {
        for (String split : new String[] {"train", "val"}) {
            List<byte[]> x = shardBytes(a.resolve(split)), y = shardBytes(b.resolve(split));
            assertEquals(x.size(), y.size(), split + " shard count");
            assertFalse(x.isEmpty(), split);
            for (int i = 0; i < x.size(); i++) assertArrayEquals(x.get(i), y.get(i), split + " shard " + i + " byte-identical");
        }
        assertEquals(PreparedDataset.manifest(a.toString()), PreparedDataset.manifest(b.toString()));
    }

    @Test
    void idsMasksSplitOrderAndPackingAreExactAndReproducible() throws Exception {
        Path in = tmp.resolve("corpus");
        Map<String, JsonNode> records = writeCorpus(in, "", 300);
        int cutoff = 220;
        PrepareSummary s = run(config(in.toString(), 0.1, false, cutoff), tmp.resolve("A"));
        var a = PreparedDataset.open(tmp.resolve("A").toString());
        assertEquals(600, s.read());
        assertEquals(600, s.kept());
        assertEquals(2, s.truncated(), "the long response of item 7 (in each file) is cut");

        // every example against an independent tokenization of template(record) + EOS
        for (TokenizedExample e : concat(a.train(), a.val())) {
            JsonNode r = records.get(e.source().substring(e.source().lastIndexOf('/') + 1));
            String prompt = PromptTemplate.ALPACA.prompt(r.get("instruction").asText(), r.get("input").asText());
            int[] full = tok.encode(prompt + r.get("output").asText(), true);
            int[] promptIds = tok.encode(prompt, true);
            int[] want = Arrays.copyOf(full, full.length + 1);
            want[full.length] = tok.eosId();
            boolean cut = want.length > cutoff;
            if (cut) want = Arrays.copyOf(want, cutoff); // truncated from the response end, no EOS (as alpaca-lora)
            assertArrayEquals(want, e.inputIds(), e.source());
            assertArrayEquals(promptIds, Arrays.copyOf(e.inputIds(), promptIds.length), "the prompt's ids are a prefix: " + e.source());
            for (int i = 0; i < want.length; i++) assertEquals(i < promptIds.length ? -100 : want[i], e.labels()[i], e.source() + " label " + i);
            if (!cut) {
                int[] trained = Arrays.stream(e.labels()).filter(l -> l != -100).toArray();
                assertEquals(tok.eosId(), trained[trained.length - 1]);
                assertEquals(r.get("output").asText(), tok.decode(Arrays.copyOf(trained, trained.length - 1)), "unmasked labels decode to the response");
            }
        }
        assertTrue(a.val().size() > 35 && a.val().size() < 90, "about 10% validation: " + a.val().size());
        assertEquals(600, a.train().size() + a.val().size());
        assertEquals(Set.of(), intersection(a.train(), a.val()));

        // the reader without Spark returns exactly what Spark reads
        for (String split : new String[] {"train", "val"}) {
            List<Row> rows = spark.read().parquet(tmp.resolve("A").resolve(split).toString()).collectAsList();
            List<TokenizedExample> mine = split.equals("train") ? a.train() : a.val();
            assertEquals(rows.size(), mine.size());
            Map<String, TokenizedExample> bySource = mine.stream().collect(Collectors.toMap(TokenizedExample::source, e -> e));
            for (Row row : rows) {
                TokenizedExample e = bySource.get(row.getString(3));
                assertArrayEquals(row.getList(0).stream().mapToInt(o -> (Integer) o).toArray(), e.inputIds());
                assertArrayEquals(row.getList(1).stream().mapToInt(o -> (Integer) o).toArray(), e.labels());
                assertEquals(row.getInt(2), e.inputIds().length);
            }
        }

        // a second run gives byte-identical shards
        run(config(in.toString(), 0.1, false, cutoff), tmp.resolve("B"));
        assertSameShards(tmp.resolve("A"), tmp.resolve("B"));

        // adding data never moves an old record between splits (val_size as a fraction)
        writeCorpus(tmp.resolve("corpus-more"), "", 300);
        writeCorpus(tmp.resolve("corpus-more"), "x", 200);
        run(config(tmp.resolve("corpus-more").toString(), 0.1, false, cutoff), tmp.resolve("E"));
        var e = PreparedDataset.open(tmp.resolve("E").toString());
        Set<String> valA = names(a.val()), trainA = names(a.train()), valE = names(e.val()), trainE = names(e.train());
        assertTrue(valE.containsAll(valA) && trainE.containsAll(trainA), "old records stay in their split");
        assertEquals(1000, valE.size() + trainE.size());

        // val_size as a count is exact
        PrepareSummary f = run(config(in.toString(), 25, false, cutoff), tmp.resolve("F"));
        var fd = PreparedDataset.open(tmp.resolve("F").toString());
        assertEquals(25, fd.val().size());
        assertEquals(575, fd.train().size());
        assertEquals(25, f.valExamples());

        // local[1] gives the same bytes as local[2]
        spark.stop();
        spark = PrepareJob.localSession("local[1]");
        assertEquals("local[1]", spark.sparkContext().master());
        run(config(in.toString(), 0.1, false, cutoff), tmp.resolve("C"));
        assertSameShards(tmp.resolve("A"), tmp.resolve("C"));

        // packing: the same token stream in the same order, cut into rows of at most cutoff_len, masks kept per example
        PrepareSummary p = run(config(in.toString(), 0.1, true, cutoff), tmp.resolve("P"));
        var packed = PreparedDataset.open(tmp.resolve("P").toString());
        assertTrue(PreparedDataset.manifest(tmp.resolve("P").toString()).getPacking());
        assertEquals(a.train().size(), p.trainExamples());
        assertEquals(packed.train().size(), p.train());
        assertTrue(packed.train().size() < a.train().size() / 2, "several examples per row: " + packed.train().size());
        for (String split : new String[] {"train", "val"}) {
            List<TokenizedExample> x = split.equals("train") ? a.train() : a.val(), y = split.equals("train") ? packed.train() : packed.val();
            assertArrayEquals(flatten(x, true), flatten(y, true), split + " ids");
            assertArrayEquals(flatten(x, false), flatten(y, false), split + " labels");
            assertEquals(x.stream().map(TokenizedExample::source).toList(),
                    y.stream().flatMap(r -> Arrays.stream(r.source().split(" \\+ "))).toList(), split + " sources");
            for (TokenizedExample r : y) assertTrue(r.inputIds().length <= cutoff, "row within cutoff_len");
            // each row records its examples' lengths, in order: the boundaries the model keeps apart
            Map<String, Integer> lengthOf = x.stream().collect(Collectors.toMap(TokenizedExample::source, q -> q.inputIds().length));
            for (TokenizedExample r : y) {
                String[] parts = r.source().split(" \\+ ");
                int[] want = Arrays.stream(parts).mapToInt(lengthOf::get).toArray();
                if (parts.length == 1) assertNull(r.segments(), "a row of one example reads as unpacked");
                else assertArrayEquals(want, r.segments(), r.source());
                for (int i = 0, at = 0; i < want.length; at += want[i++]) assertEquals(-100, r.labels()[at], "first label of each example");
            }
            assertTrue(y.stream().filter(TokenizedExample::packed).count() > 10, split + ": packed rows");
            // split back into examples: exactly the unpacked dataset's, in order
            List<TokenizedExample> split2 = y.stream().flatMap(r -> r.examples().stream()).toList();
            assertEquals(x.size(), split2.size());
            for (int i = 0; i < x.size(); i++) {
                assertEquals(x.get(i).source(), split2.get(i).source());
                assertArrayEquals(x.get(i).inputIds(), split2.get(i).inputIds());
                assertArrayEquals(x.get(i).labels(), split2.get(i).labels(), x.get(i).source());
                assertEquals(x.get(i).countedTokens(), split2.get(i).countedTokens());
            }
            // Spark reads the same segments column
            Map<String, TokenizedExample> bySource = y.stream().collect(Collectors.toMap(TokenizedExample::source, q -> q));
            for (Row row : spark.read().parquet(tmp.resolve("P").resolve(split).toString()).collectAsList()) {
                TokenizedExample r = bySource.get(row.getString(3));
                int[] seg = row.getList(4).stream().mapToInt(o -> (Integer) o).toArray();
                assertArrayEquals(r.packed() ? r.segments() : new int[] {r.inputIds().length}, seg, r.source());
            }
        }
        assertEquals(PreparedDataset.FORMAT_VERSION, PreparedDataset.manifest(tmp.resolve("P").toString()).getFormatVersion());
        // the prepare logic without Spark writes the same packed shards, segments included
        LocalPrepare.run(config(in.toString(), 0.1, true, cutoff), tokenizer.toString(), tmp.resolve("P-local").toString(), "", System.out);
        assertSameShards(tmp.resolve("P"), tmp.resolve("P-local"));
    }

    /**
     * Datasets of format 1 (no segments column): unpacked ones read as before; packed ones fail with the advice to
     * prepare again (their rows do not say where the examples start); a newer format fails too.
     */
    @Test
    void olderFormatsReadUnpackedAndRefusePacked() throws Exception {
        Path old = tmp.resolve("format1");
        org.apache.spark.sql.types.StructType v1 = new org.apache.spark.sql.types.StructType()
                .add("input_ids", org.apache.spark.sql.types.DataTypes.createArrayType(org.apache.spark.sql.types.DataTypes.IntegerType, false), false)
                .add("labels", org.apache.spark.sql.types.DataTypes.createArrayType(org.apache.spark.sql.types.DataTypes.IntegerType, false), false)
                .add("length", org.apache.spark.sql.types.DataTypes.IntegerType, false).add("source", org.apache.spark.sql.types.DataTypes.StringType, false);
        spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create(List.of(1, 5, 6), List.of(-100, 5, 6), 3, "a.jsonl:1"),
                org.apache.spark.sql.RowFactory.create(List.of(1, 7), List.of(-100, 7), 2, "a.jsonl:2")), v1).coalesce(1).write()
                .parquet(old.resolve("train").toString());
        Files.createDirectories(old.resolve("val"));
        DatasetManifest.Builder m = DatasetManifest.newBuilder().setFormatVersion(1).setTrainRecords(2).setValRecords(0).setPacking(false);
        Files.write(old.resolve("manifest.pb"), m.build().toByteArray());
        var data = PreparedDataset.open(old.toString());
        assertEquals(2, data.train().size());
        assertArrayEquals(new int[] {1, 5, 6}, data.train().get(0).inputIds());
        assertNull(data.train().get(0).segments());
        assertEquals(2, data.train().get(0).countedTokens());

        Files.write(old.resolve("manifest.pb"), m.setPacking(true).build().toByteArray());
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> PreparedDataset.open(old.toString()));
        assertTrue(e.getMessage().contains("run `lora4j prepare` again") && e.getMessage().contains("format 1"), e.getMessage());

        Files.write(old.resolve("manifest.pb"), m.setPacking(false).setFormatVersion(PreparedDataset.FORMAT_VERSION + 1).build().toByteArray());
        e = assertThrows(java.io.IOException.class, () -> PreparedDataset.open(old.toString()));
        assertTrue(e.getMessage().contains("newer"), e.getMessage());
    }

    static List<TokenizedExample> concat(List<TokenizedExample> a, List<TokenizedExample> b) {
        List<TokenizedExample> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    static Set<String> names(List<TokenizedExample> l) {
        return l.stream().map(e -> e.source().substring(e.source().lastIndexOf('/') + 1)).collect(Collectors.toSet());
    }

    static Set<String> intersection(List<TokenizedExample> a, List<TokenizedExample> b) {
        Set<String> x = names(a);
        x.retainAll(names(b));
        return x;
    }

    static int[] flatten(List<TokenizedExample> l, boolean ids) {
        return l.stream().flatMapToInt(e -> IntStream.of(ids ? e.inputIds() : e.labels())).toArray();
    }
}
