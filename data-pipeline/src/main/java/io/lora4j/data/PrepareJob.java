package io.lora4j.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.util.JsonFormat;
import io.lora4j.core.data.ExampleEncoder;
import io.lora4j.core.data.PromptTemplate;
import io.lora4j.core.data.SplitAndDedup;
import io.lora4j.core.io.HadoopFs;
import io.lora4j.core.proto.DatasetManifest;
import io.lora4j.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * {@code lora4j prepare}: instruction data on any Hadoop FileSystem → tokenized, label-masked, deduplicated,
 * split Parquet shards with a manifest and rejects. Files are read on executors; the tokenizer is loaded once per JVM
 * and used per partition; the split and the shuffle depend only on record hashes and the seed, so the result does not
 * depend on the number of partitions or on what else is in the dataset.
 */
public final class PrepareJob {
    public static final StructType SCHEMA = new StructType()
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("labels", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("length", DataTypes.IntegerType, false)
            .add("source", DataTypes.StringType, false);

    private PrepareJob() {}

    /** Checks everything that can be checked before Spark starts: inputs exist, the tokenizer loads, the template resolves. */
    public static List<String> validate(PrepareConfig cfg, String tokenizerPath) throws IOException {
        TokenizerCache.get(tokenizerPath);
        PromptTemplate.resolve(cfg.template());
        List<String> files = new ArrayList<>();
        for (PrepareConfig.Source s : cfg.sources()) {
            Path p = HadoopFs.path(s.uri());
            FileSystem fs = p.getFileSystem(new Configuration());
            FileStatus[] matched = fs.globStatus(p);
            if (matched == null || matched.length == 0) throw new IOException("data source " + s.uri() + ": no such file or directory");
            for (FileStatus st : matched) collect(fs, st, files);
        }
        if (files.isEmpty()) throw new IOException("data sources " + cfg.sources() + " contain no files");
        return files;
    }

    private static void collect(FileSystem fs, FileStatus st, List<String> out) throws IOException {
        if (st.isDirectory()) {
            for (FileStatus c : fs.listStatus(st.getPath())) {
                if (!c.getPath().getName().startsWith(".") && !c.getPath().getName().startsWith("_")) collect(fs, c, out);
            }
        } else {
            out.add(st.getPath().toString());
        }
    }

    public static PrepareSummary run(SparkSession spark, PrepareConfig cfg, String tokenizerPath, String outUri, PrintStream log) throws IOException {
        return run(spark, cfg, tokenizerPath, outUri, "", log);
    }

    /** As above, recording {@code contentHash} (what the dataset was made from) so a later run can skip this stage. */
    public static PrepareSummary run(SparkSession spark, PrepareConfig cfg, String tokenizerPath, String outUri, String contentHash, PrintStream log) throws IOException {
        List<String> files = validate(cfg, tokenizerPath);
        files.sort(null);
        Tokenizer tok = TokenizerCache.get(tokenizerPath);
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        final PrepareConfig c = cfg;
        final String tokPath = tokenizerPath;
        final PromptTemplate template = PromptTemplate.resolve(cfg.template());

        List<String> text = files.stream().filter(f -> !f.endsWith(".parquet")).toList();
        JavaRDD<RawRecords.Raw> raw = sc.parallelize(text, Math.max(1, Math.min(text.size(), sc.defaultParallelism())))
                .flatMap(f -> RawRecords.read(f).iterator());
        for (String f : files.stream().filter(f -> f.endsWith(".parquet")).toList()) {
            raw = raw.union(spark.read().parquet(f).toJSON().javaRDD().zipWithIndex().map(t -> new RawRecords.Raw(f + "#row" + t._2, t._1, null)));
        }
        // one large file is read by one task; spread its records so tokenization uses every core
        if (sc.defaultParallelism() > 1) raw = raw.repartition(sc.defaultParallelism());
        JavaRDD<Encoded> encoded = raw.mapPartitions((Iterator<RawRecords.Raw> it) -> encodePartition(it, c, tokPath, template))
                .persist(StorageLevel.MEMORY_AND_DISK());

        long read = encoded.count();
        JavaRDD<Encoded> kept = encoded.filter(Encoded::kept);
        // duplicates: the record with the smallest position stays
        JavaRDD<Encoded> unique = !cfg.dedup() ? kept : kept.mapToPair(e -> new Tuple2<>(e.hash(), e))
                .reduceByKey((a, b) -> a.where().compareTo(b.where()) <= 0 ? a : b).values();
        unique = unique.persist(StorageLevel.MEMORY_AND_DISK());
        long uniqueCount = unique.count();
        long keptBeforeDedup = kept.count();
        final long total = uniqueCount;
        JavaPairRDD<Double, Encoded> keyed = unique.mapToPair(e -> new Tuple2<>(SplitAndDedup.unit(e.hash(), c.seed() + 1), e));
        JavaRDD<Encoded> val = keyed.filter(t -> SplitAndDedup.isValidation(t._2.hash(), c.seed(), c.valSize(), total)).sortByKey().values();
        JavaRDD<Encoded> train = keyed.filter(t -> !SplitAndDedup.isValidation(t._2.hash(), c.seed(), c.valSize(), total)).sortByKey().values();

        HadoopFs.mkdirs(outUri);
        write(spark, train, HadoopFs.join(outUri, "train"));
        write(spark, val, HadoopFs.join(outUri, "val"));
        encoded.filter(e -> !e.kept()).map(e -> {
            ObjectNode n = RecordParser.JSON.createObjectNode();
            n.put("source", e.where()).put("reason", e.reject()).put("record", e.original());
            return n.toString();
        }).coalesce(1).saveAsTextFile(HadoopFs.join(outUri, "rejects"));

        Map<String, Long> reasons = new TreeMap<>(encoded.filter(e -> !e.kept()).map(Encoded::reject).map(r -> r.replaceAll("'.*'", "'…'"))
                .countByValue());
        long[] trainStats = stats(train), valStats = stats(val);
        long truncated = unique.filter(Encoded::truncated).count();
        List<Long> lengths = unique.map(e -> (long) e.inputIds().length).collect();
        long[] hist = new long[Math.max(1, (cfg.cutoffLen() + 15) / 16)];
        int max = 0;
        double sum = 0;
        for (long l : lengths) {
            hist[(int) Math.min(hist.length - 1, l / 16)]++;
            max = (int) Math.max(max, l);
            sum += l;
        }
        PrepareSummary summary = new PrepareSummary(read, uniqueCount, read - keptBeforeDedup, keptBeforeDedup - uniqueCount, truncated,
                trainStats[0], valStats[0], trainStats[1], valStats[1], lengths.isEmpty() ? 0 : sum / lengths.size(), max, reasons);
        writeManifest(outUri, cfg, tok, summary, hist, contentHash);
        encoded.unpersist();
        unique.unpersist();
        log.print(summary.format());
        return summary;
    }

    private static Iterator<Encoded> encodePartition(Iterator<RawRecords.Raw> it, PrepareConfig c, String tokPath, PromptTemplate template) throws IOException {
        Tokenizer tok = TokenizerCache.get(tokPath);
        ExampleEncoder enc = new ExampleEncoder(tok, c.cutoffLen(), c.trainOnInputs(), c.dropLong() ? ExampleEncoder.Truncation.DROP : ExampleEncoder.Truncation.RESPONSE);
        PrepareConfig.Source src = c.sources().get(0);
        List<Encoded> out = new ArrayList<>();
        while (it.hasNext()) {
            RawRecords.Raw r = it.next();
            if (r.reject() != null) {
                out.add(new Encoded(0, null, null, r.where(), false, r.reject(), r.json()));
                continue;
            }
            com.fasterxml.jackson.databind.JsonNode node;
            try {
                node = RecordParser.JSON.readTree(r.json());
            } catch (IOException e) {
                out.add(new Encoded(0, null, null, r.where(), false, "malformed JSON: " + e.getMessage().split("\n")[0], r.json()));
                continue;
            }
            RecordParser.Parsed p = RecordParser.parse(node, r.where(), sourceFor(c, r.where(), src), template);
            if (p.record() == null) {
                out.add(new Encoded(0, null, null, r.where(), false, p.rejectReason(), r.json()));
                continue;
            }
            ExampleEncoder.Result res = enc.encode(p.record());
            out.add(res.kept() ? new Encoded(SplitAndDedup.hash(p.record()), res.inputIds(), res.labels(), r.where(), res.truncated(), null, null)
                    : new Encoded(0, null, null, r.where(), false, res.rejectReason(), r.json()));
        }
        return out.iterator();
    }

    /** The source a file came from (for its format and field names): the longest matching URI prefix, else the first. */
    private static PrepareConfig.Source sourceFor(PrepareConfig c, String where, PrepareConfig.Source fallback) {
        PrepareConfig.Source best = fallback;
        int bestLen = -1;
        for (PrepareConfig.Source s : c.sources()) {
            String u = HadoopFs.path(s.uri()).toString();
            if (where.startsWith(u) && u.length() > bestLen) {
                best = s;
                bestLen = u.length();
            }
        }
        return best;
    }

    private static long[] stats(JavaRDD<Encoded> rdd) {
        List<Long> l = rdd.map(e -> (long) e.inputIds().length).collect();
        return new long[] {l.size(), l.stream().mapToLong(Long::longValue).sum()};
    }

    private static void write(SparkSession spark, JavaRDD<Encoded> rdd, String uri) {
        JavaRDD<Row> rows = rdd.map(e -> RowFactory.create(e.inputIds(), e.labels(), e.inputIds().length, e.where()));
        Dataset<Row> df = spark.createDataFrame(rows, SCHEMA);
        df.write().mode("overwrite").parquet(uri);
    }

    private static void writeManifest(String outUri, PrepareConfig cfg, Tokenizer tok, PrepareSummary s, long[] hist, String contentHash) throws IOException {
        DatasetManifest.Builder m = DatasetManifest.newBuilder().setFormatVersion(1).setTokenizerFingerprint(tok.fingerprint())
                .setTemplateName(cfg.template()).setCutoffLen(cfg.cutoffLen()).setPacking(false).setSeed(cfg.seed()).setTrainOnInputs(cfg.trainOnInputs())
                .putStageCounts("read", s.read()).putStageCounts("kept", s.kept()).putStageCounts("rejected", s.rejected())
                .putStageCounts("duplicates", s.duplicates()).putStageCounts("truncated", s.truncated())
                .setContentHash(contentHash).setTrainRecords(s.train()).setValRecords(s.val()).setTrainTokens(s.trainTokens()).setValTokens(s.valTokens()).setHistogramBucketWidth(16);
        s.rejectReasons().forEach(m::putRejectCounts);
        for (long h : hist) m.addLengthHistogram(h);
        DatasetManifest manifest = m.build();
        HadoopFs.writeAtomically(HadoopFs.join(outUri, "manifest.pb"), manifest.toByteArray());
        HadoopFs.writeAtomically(HadoopFs.join(outUri, "manifest.json"), JsonFormat.printer().print(manifest).getBytes(StandardCharsets.UTF_8));
    }

    /** A local SparkSession for the CLI and tests (UI off, few shuffle partitions). */
    public static SparkSession localSession(String master) {
        return SparkSession.builder().master(master).appName("lora4j-prepare").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4").config("spark.default.parallelism", "4").getOrCreate();
    }
}
