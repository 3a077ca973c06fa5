package io.lora4j.data;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
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
 * and used per partition; the split, the order, the shards and the packing depend only on record hashes, the seed
 * and the record count, so the result does not depend on the number of cores, partitions or what else is in the data.
 */
public final class PrepareJob {
    public static final StructType SCHEMA = new StructType()
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("labels", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("length", DataTypes.IntegerType, false)
            .add("source", DataTypes.StringType, false);

    private PrepareJob() {}

    /**
     * The whole job: checks the config, the inputs and the tokenizer before Spark starts, runs on {@code master}
     * (null: the active session, else local[*]), prints the summary table and returns it.
     *
     * @param modelOrTokenizerPath a tokenizer.model / tokenizer.json / GGUF file, a Hugging Face model directory, or a
     *                             llama2.c .bin with tokenizer.model beside it
     */
    public static PrepareSummary run(PrepareConfig cfg, String modelOrTokenizerPath, String outUri, String master) throws IOException {
        String tokPath = tokenizerOf(modelOrTokenizerPath);
        validate(cfg, tokPath);
        boolean own = master != null || SparkSession.getActiveSession().isEmpty();
        SparkSession spark = master != null ? localSession(master) : own ? localSession("local[*]") : SparkSession.active();
        try {
            return run(spark, cfg, tokPath, outUri, "", System.out);
        } finally {
            if (own) spark.stop();
        }
    }

    /** The tokenizer file or directory of a model path; fails naming the path when there is none. */
    public static String tokenizerOf(String modelOrTokenizerPath) throws IOException {
        java.nio.file.Path p = java.nio.file.Path.of(modelOrTokenizerPath);
        if (modelOrTokenizerPath.endsWith(".bin")) p = p.resolveSibling("tokenizer.model"); // llama2.c checkpoint
        if (!Files.exists(p)) throw new IOException("model or tokenizer " + p + ": no such file or directory");
        if (Files.isDirectory(p) && !Files.exists(p.resolve("tokenizer.json")) && !Files.exists(p.resolve("tokenizer.model"))) {
            throw new IOException("model directory " + p + " has no tokenizer (expected tokenizer.json or tokenizer.model)");
        }
        return p.toString();
    }

    /** Checks everything that can be checked before Spark starts: inputs exist, the tokenizer loads, the template resolves. */
    public static List<String> validate(PrepareConfig cfg, String tokenizerPath) throws IOException {
        TokenizerCache.get(tokenizerPath);
        template(cfg);
        List<String> files = new ArrayList<>();
        for (PrepareConfig.Source s : cfg.sources()) {
            Path p = HadoopFs.path(s.uri());
            FileSystem fs = p.getFileSystem(new Configuration());
            FileStatus[] matched = fs.globStatus(p);
            if (matched == null || matched.length == 0) throw new IOException("data source " + s.uri() + ": no such file or directory");
            for (FileStatus st : matched) collect(fs, st, files);
        }
        if (files.isEmpty()) throw new IOException("data sources " + cfg.sources().stream().map(PrepareConfig.Source::uri).toList() + " contain no files");
        return files;
    }

    /** The instruction template; null stands for the chat template. */
    private static PromptTemplate template(PrepareConfig cfg) throws IOException {
        if (cfg.template().equals(ChatTemplate.NAME)) return null;
        try {
            return PromptTemplate.resolve(cfg.template());
        } catch (IOException e) {
            throw new IOException("data.template = " + cfg.template() + ": expected alpaca, alpaca_short, chat or an alpaca-lora template JSON file ("
                    + e.getMessage() + ")", e);
        }
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
        if (!sc.isLocal()) sc.sc().addFile(tokenizerPath, Files.isDirectory(java.nio.file.Path.of(tokenizerPath)));
        final PrepareConfig c = cfg;
        final String tokPath = tokenizerPath, fingerprint = tok.fingerprint();
        final PromptTemplate template = template(cfg);

        // read: text files on executors (one task per file, streaming), Parquet through Spark
        List<String> text = files.stream().filter(f -> !f.endsWith(".parquet")).toList();
        JavaRDD<RawRecords.Raw> raw = sc.parallelize(text, Math.max(1, Math.min(text.size(), sc.defaultParallelism())))
                .flatMap(RawRecords::read);
        for (String f : files.stream().filter(f -> f.endsWith(".parquet")).toList()) {
            raw = raw.union(spark.read().parquet(f).toJSON().javaRDD().zipWithIndex().map(t -> new RawRecords.Raw(f + ":" + t._2, t._1, null)));
        }
        // one task per file: when there are fewer files than cores, spread the records so tokenization uses every core
        int cores = sc.defaultParallelism();
        if (cores > 1 && raw.getNumPartitions() < cores) raw = raw.repartition(cores);
        JavaRDD<Encoded> encoded = raw.mapPartitions((Iterator<RawRecords.Raw> it) -> encodePartition(it, c, tokPath, fingerprint, template))
                .persist(StorageLevel.MEMORY_AND_DISK());
        RejectTally tally = encoded.aggregate(new RejectTally(), RejectTally::add, RejectTally::merge);
        long keptBeforeDedup = tally.read - tally.rejected();

        // one shuffle puts the kept records in the seeded order, in range shards whose number depends only on the data;
        // equal records have equal keys, so they arrive next to each other, the one with the smallest position first
        final long orderSeed = cfg.seed() + 1;
        final boolean dedup = cfg.dedup();
        int shards = OrderKey.shards(keptBeforeDedup);
        JavaRDD<Encoded> ordered = encoded.filter(Encoded::kept)
                .mapToPair(e -> new Tuple2<>(new OrderKey(SplitAndDedup.unit(e.hash(), orderSeed), e.where()), e))
                .repartitionAndSortWithinPartitions(new OrderKey.RangeOfUnit(shards), OrderKey.ORDER).values()
                .mapPartitions(it -> dedup ? new DropRepeats(it) : it, true)
                .persist(StorageLevel.MEMORY_AND_DISK());

        Function<Encoded, Boolean> isVal = validationRule(ordered, cfg);
        LengthStats[] split = ordered.aggregate(new LengthStats[] {new LengthStats(cfg.cutoffLen()), new LengthStats(cfg.cutoffLen())},
                (acc, e) -> {
                    acc[isVal.call(e) ? 1 : 0].add(e);
                    return acc;
                },
                (x, y) -> new LengthStats[] {x[0].merge(y[0]), x[1].merge(y[1])});
        LengthStats train = split[0], val = split[1];
        long uniqueCount = train.examples + val.examples;
        if (cfg.valIsCount() && val.examples != (long) cfg.valSize()) throw new IllegalStateException("validation holds " + val.examples + " examples, not " + cfg.valSize());

        HadoopFs.mkdirs(outUri);
        String trainUri = HadoopFs.join(outUri, "train"), valUri = HadoopFs.join(outUri, "val");
        write(spark, ordered.filter(e -> !isVal.call(e)), cfg, trainUri);
        write(spark, ordered.filter(isVal), cfg, valUri);
        encoded.filter(e -> !e.kept()).sortBy(Encoded::where, true, 1).map(PrepareJob::rejectLine).saveAsTextFile(HadoopFs.join(outUri, "rejects"));
        long trainRows = PreparedDataset.rowCount(trainUri), valRows = PreparedDataset.rowCount(valUri);

        LengthStats all = new LengthStats(cfg.cutoffLen()).merge(train).merge(val);
        PrepareSummary summary = new PrepareSummary(tally.read, uniqueCount, tally.rejected(), keptBeforeDedup - uniqueCount, all.truncated,
                train.examples, val.examples, trainRows, valRows, train.tokens, val.tokens, all.mean(), all.max, tally.reasons());
        writeManifest(outUri, cfg, tok, summary, all.histogram, PreparedDataset.shards(trainUri).size(), PreparedDataset.shards(valUri).size(), contentHash);
        encoded.unpersist();
        ordered.unpersist();
        log.print(summary.format());
        return summary;
    }

    /**
     * val_size as a fraction: a record is in validation when its split number (from its hash and the seed) is below
     * it, so adding data moves no old record. As a count: exactly that many records, those with the smallest numbers.
     */
    private static Function<Encoded, Boolean> validationRule(JavaRDD<Encoded> unique, PrepareConfig cfg) {
        final long seed = cfg.seed();
        if (!cfg.valIsCount()) {
            final double fraction = cfg.valSize();
            return e -> SplitAndDedup.unit(e.hash(), seed) < fraction;
        }
        long k = (long) cfg.valSize();
        if (k > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("data.val_size = " + k + ": too large a count; give a fraction");
        List<OrderKey> smallest = unique.map(e -> new OrderKey(SplitAndDedup.unit(e.hash(), seed), e.where())).takeOrdered((int) k + 1, OrderKey.ORDER);
        if (smallest.size() <= k) {
            throw new IllegalArgumentException("data.val_size = " + k + " but only " + smallest.size() + " examples were kept: nothing would be left to train on");
        }
        final OrderKey last = smallest.get((int) k - 1);
        return e -> new OrderKey(SplitAndDedup.unit(e.hash(), seed), e.where()).compareTo(last) <= 0;
    }

    /** Writes one split's rows in order, one Parquet file per shard, packing first if asked. */
    private static void write(SparkSession spark, JavaRDD<Encoded> examples, PrepareConfig cfg, String uri) {
        final int cutoff = cfg.cutoffLen();
        JavaRDD<Encoded> rows = cfg.packing() ? examples.mapPartitions(it -> new Packer(it, cutoff), true) : examples;
        JavaRDD<Row> out = rows.map(e -> RowFactory.create(e.inputIds(), e.labels(), e.inputIds().length, e.where()));
        spark.createDataFrame(out, SCHEMA).write().mode("overwrite").parquet(uri);
    }

    private static String rejectLine(Encoded e) {
        ObjectNode n = RecordParser.JSON.createObjectNode();
        n.put("source", e.where()).put("reason", e.reject()).put("record", e.original());
        return n.toString();
    }

    private static Iterator<Encoded> encodePartition(Iterator<RawRecords.Raw> it, PrepareConfig c, String tokPath, String fingerprint, PromptTemplate template)
            throws IOException {
        Tokenizer tok = TokenizerCache.onExecutor(tokPath, fingerprint);
        ExampleEncoder enc = new ExampleEncoder(tok, c.cutoffLen(), c.trainOnInputs(), c.dropLong() ? ExampleEncoder.Truncation.DROP : ExampleEncoder.Truncation.RESPONSE);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Encoded next() {
                return encode(it.next(), c, enc, template);
            }
        };
    }

    private static Encoded encode(RawRecords.Raw r, PrepareConfig c, ExampleEncoder enc, PromptTemplate template) {
        if (r.reject() != null) return Encoded.rejected(r.where(), r.reject(), r.json());
        JsonNode node;
        try {
            node = RecordParser.JSON.readTree(r.json());
        } catch (IOException e) {
            return Encoded.rejected(r.where(), "malformed JSON: " + e.getMessage().split("\n")[0], r.json());
        }
        RecordParser.Parsed p = RecordParser.parse(node, r.where(), sourceFor(c, r.where()), template);
        if (p.record() == null) return Encoded.rejected(r.where(), p.rejectReason(), r.json());
        ExampleEncoder.Result res = enc.encode(p.record());
        if (!res.kept()) return Encoded.rejected(r.where(), res.rejectReason(), r.json());
        return new Encoded(SplitAndDedup.hash(p.record()), res.inputIds(), res.labels(), r.where(), res.truncated(), null, null);
    }

    /** The source a file came from (for its format and field names): the longest matching URI prefix, else the first. */
    private static PrepareConfig.Source sourceFor(PrepareConfig c, String where) {
        PrepareConfig.Source best = c.sources().get(0);
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

    private static void writeManifest(String outUri, PrepareConfig cfg, Tokenizer tok, PrepareSummary s, long[] hist, int trainShards, int valShards,
                                      String contentHash) throws IOException {
        DatasetManifest.Builder m = DatasetManifest.newBuilder().setFormatVersion(1).setTokenizerFingerprint(tok.fingerprint())
                .setTemplateName(cfg.template()).setCutoffLen(cfg.cutoffLen()).setPacking(cfg.packing()).setSeed(cfg.seed())
                .setTrainOnInputs(cfg.trainOnInputs()).setValSize(cfg.valSize()).setDedup(cfg.dedup()).setTruncate(cfg.dropLong() ? "drop" : "response")
                .putStageCounts("read", s.read()).putStageCounts("rejected", s.rejected()).putStageCounts("duplicates", s.duplicates())
                .putStageCounts("kept", s.kept()).putStageCounts("truncated", s.truncated())
                .putStageCounts("train_examples", s.trainExamples()).putStageCounts("val_examples", s.valExamples())
                .putStageCounts("train_rows", s.train()).putStageCounts("val_rows", s.val())
                .setContentHash(contentHash).setTrainRecords(s.train()).setValRecords(s.val()).setTrainTokens(s.trainTokens()).setValTokens(s.valTokens())
                .setHistogramBucketWidth(LengthStats.BUCKET).setTrainShards(trainShards).setValShards(valShards);
        cfg.sources().forEach(src -> m.addSources(src.uri()));
        s.rejectReasons().forEach(m::putRejectCounts);
        for (long h : hist) m.addLengthHistogram(h);
        DatasetManifest manifest = m.build();
        HadoopFs.writeAtomically(HadoopFs.join(outUri, "manifest.pb"), manifest.toByteArray());
        HadoopFs.writeAtomically(HadoopFs.join(outUri, "manifest.json"), JsonFormat.printer().print(manifest).getBytes(StandardCharsets.UTF_8));
    }

    /** A SparkSession for the CLI and tests (UI off, few SQL shuffle partitions, a progress bar on a terminal). */
    public static SparkSession localSession(String master) {
        return SparkSession.builder().master(master).appName("lora4j-prepare").config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", String.valueOf(System.console() != null))
                .config("spark.sql.shuffle.partitions", "4").getOrCreate();
    }
}
