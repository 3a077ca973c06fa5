package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.gguf.GgufWriter;
import io.lora4j.core.io.HadoopFs;
import io.lora4j.core.testing.MiniHdfs;
import io.lora4j.core.tokenizer.SpmBpeTrainer;
import io.lora4j.core.tokenizer.TokenizerModel;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prepare reading from and writing to a real (in-process) HDFS. */
class HdfsPrepareTest {

    @Test
    void preparesFromHdfsToHdfs(@TempDir Path tmp) throws Exception {
        SparkSession spark = null;
        try (MiniHdfs hdfs = MiniHdfs.start(tmp.resolve("hdfs"))) {
            String base = hdfs.uri("");
            FileSystem fs = hdfs.fs();
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < 50; i++) b.append("{\"instruction\": \"Question ").append(i).append("\", \"output\": \"Answer ").append(i).append("\"}\n");
            b.append("{broken\n");
            try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path("/in/data.jsonl"))) {
                out.write(b.toString().getBytes(StandardCharsets.UTF_8));
            }
            TokenizerModel m = SpmBpeTrainer.train(List.of("question answer"), 280);
            Path tok = tmp.resolve("vocab.gguf");
            new GgufWriter().put("general.architecture", GgufValue.string("llama")).put("tokenizer.ggml.model", GgufValue.string("llama"))
                    .put("tokenizer.ggml.tokens", GgufValue.stringArray(m.tokens())).put("tokenizer.ggml.scores", GgufValue.float32Array(m.scores()))
                    .put("tokenizer.ggml.token_type", GgufValue.int32Array(m.tokenTypes())).write(tok);
            spark = PrepareJob.localSession("local[2]");
            spark.sparkContext().hadoopConfiguration().set("fs.defaultFS", base);
            PrepareConfig cfg = new PrepareConfig(List.of(new PrepareConfig.Source(base + "/in/*.jsonl", "alpaca", null)), "alpaca", 256, false, 0.2, false, true, 1);
            PrepareSummary s = PrepareJob.run(spark, cfg, tok.toString(), base + "/out/ds", System.out);
            assertEquals(51, s.read());
            assertEquals(50, s.kept());
            assertEquals(1, s.rejected());
            assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/out/ds/manifest.pb")));
            assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/out/ds/train")));
            var content = PreparedDataset.open(base + "/out/ds"); // the plain reader, on HDFS
            assertEquals(50, content.train().size() + content.val().size());
            java.util.Set<String> sources = new java.util.TreeSet<>();
            for (var e : content.train()) sources.add(e.source());
            for (var e : content.val()) sources.add(e.source());
            for (int i = 1; i <= 50; i++) assertTrue(sources.contains(base + "/in/data.jsonl:" + i), "line " + i + " of the HDFS input: " + sources);
            String part = HadoopFs.list(base + "/out/ds/rejects").stream().filter(f -> f.startsWith("part-")).findFirst().orElseThrow();
            String rejects = new String(HadoopFs.readAll(base + "/out/ds/rejects/" + part), StandardCharsets.UTF_8);
            assertTrue(rejects.contains("data.jsonl:51") && rejects.contains("malformed JSON"), rejects);
            assertEquals(s.train(), content.manifest().getTrainRecords());
            assertTrue(new String(HadoopFs.readAll(base + "/out/ds/manifest.json"), StandardCharsets.UTF_8).contains("tokenizerFingerprint"));
        } finally {
            if (spark != null) spark.stop();
        }
    }
}
