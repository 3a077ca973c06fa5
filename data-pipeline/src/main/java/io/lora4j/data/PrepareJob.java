package io.lora4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.util.JsonFormat;
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
import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * {@code lora4j prepare}: instruction data on any Hadoop FileSystem → tokenized, label-masked, deduplicated,
 * split Parquet shards with a manifest and rejects. Files are read on executors (a large JSON Lines file in byte-range
 * slices when there are fewer files than cores); the tokenizer is loaded once per JVM and used per partition. The data
 * is tokenized once and shuffled once, straight into range shards in the seeded order plus one partition of rejects;
 * each shard task deduplicates, splits, packs and writes its own Parquet files and returns its counts, so the summary
 * needs no further pass and nothing is cached. The split, the order, the shards and the packing depend only on record
 * hashes, the seed and the input size, so the result does not depend on the number of cores, partitions or what else
 * is in the data.
 */
public final class PrepareJob {
    public static final StructType SCHEMA = new StructType()
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("labels", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("length", DataTypes.IntegerType, false)
            .add("source", DataTypes.StringType, false)
            // the lengths of the examples packed into the row, in order ({length} when not packed): dataset format 2
            .add("segments", DataTypes.createArrayType(DataTypes.IntegerType, false), false);

    private PrepareJob() {}

    /**
     * The whole job: checks the config, the inputs and the tokenizer before Spark starts, runs on {@code master}
     * (null: the active session, else local[*]), prints the summary table and returns it.
     *
     * @param modelOrTokenizerPath a tokenizer.model / tokenizer.json / GGUF file, a Hugging Face model directory, or a
     *                             llama2.c .bin with tokenizer.model beside it
     */
    public static PrepareSummary run(PrepareConfig cfg, String modelOrTokenizerPath, String outUri, String master) throws IOException {
        String tokPath = io.lora4j.core.model.TokenizerLocator.locate(java.nio.file.Path.of(modelOrTokenizerPath), java.util.Optional.empty()).toString();
        validate(cfg, tokPath);
        boolean own = master != null || SparkSession.getActiveSession().isEmpty();
        SparkSession spark = master != null ? localSession(master) : own ? localSession("local[*]") : SparkSession.active();
        try {
            return run(spark, cfg, tokPath, outUri, "", System.out);
        } finally {
            if (own) spark.stop();
        }
    }

    /** Checks everything that can be checked before Spark starts: inputs exist, the tokenizer loads, the template resolves. */
    public static List<String> validate(PrepareConfig cfg, String tokenizerPath) throws IOException {
        template(cfg, tokenizerPath);
        List<String> files = new ArrayList<>();
        for (PrepareConfig.Source s : cfg.sources()) {
            Path p = HadoopFs.path(s.uri());
            FileSystem fs = p.getFileSystem(HadoopConf.get());
            FileStatus[] matched = fs.globStatus(p);
            if (matched == null || matched.length == 0) throw new IOException("data source " + s.uri() + ": no such file or directory");
            for (FileStatus st : matched) collect(fs, st, files);
        }
        if (files.isEmpty()) throw new IOException("data sources " + cfg.sources().stream().map(PrepareConfig.Source::uri).toList() + " contain no files");
        return files;
    }

    static InstructionFormat template(PrepareConfig cfg, String tokenizerPath) throws IOException {
        return PromptTemplates.resolve(cfg, TokenizerCache.get(tokenizerPath), tokenizerPath);
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
        return run(spark, cfg, tokenizerPath, outUri, contentHash, log, null);
    }

    /**
     * As above, showing the job's progress on {@code progress} (null: none): stage, tasks done / total and records,
     * a live bar on a terminal, one line per stage otherwise; it is finished before the summary is printed.
     */
    public static PrepareSummary run(SparkSession spark, PrepareConfig cfg, String tokenizerPath, String outUri, String contentHash, PrintStream log,
                                     PrintStream progress) throws IOException {
        List<String> files = validate(cfg, tokenizerPath);
        files.sort(null);
        Tokenizer tok = TokenizerCache.get(tokenizerPath);
        SparkContext ssc = spark.sparkContext();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(ssc);
        if (!sc.isLocal()) ssc.addFile(tokenizerPath, Files.isDirectory(java.nio.file.Path.of(tokenizerPath)));
        final PrepareConfig c = cfg;
        final String tokPath = tokenizerPath, fingerprint = tok.fingerprint();
        final InstructionFormat template = template(cfg, tokenizerPath);
        LongAccumulator counted = ssc.longAccumulator(SparkProgress.RECORDS);
        SparkProgress bar = progress == null ? null : SparkProgress.attach(ssc, progress, System.console() != null);
        try {
            // read: text files on executors (one task per file, streaming), Parquet through Spark
            SparkProgress.step(ssc, "read");
            List<String> text = files.stream().filter(f -> !f.endsWith(".parquet")).toList();
            int cores = sc.defaultParallelism();
            List<RawRecords.Slice> slices = slices(sc, text, cores);
            boolean sliced = slices.size() > text.size();
            JavaRDD<RawRecords.Raw> raw = sc.parallelize(slices, sliced ? slices.size() : Math.max(1, Math.min(slices.size(), cores)))
                    .flatMap(RawRecords::read);
            for (String f : files.stream().filter(f -> f.endsWith(".parquet")).toList()) {
                raw = raw.union(spark.read().parquet(f).toJSON().javaRDD().zipWithIndex().map(t -> new RawRecords.Raw(f + ":" + t._2, t._1, null)));
            }
            // still fewer tasks than cores (a JSON array file, small files): spread the records so tokenization uses every core
            if (cores > 1 && raw.getNumPartitions() < cores) raw = raw.repartition(cores);

            // tokenize, then one sort shuffle: kept records go to range shards in the seeded order (equal records have
            // equal keys, so their copies arrive next to each other, the smallest position first), rejects to one last
            // partition in position order. Nothing is cached: the shuffle output is the only copy of the tokens.
            SparkProgress.step(ssc, "tokenize");
            final Counter count = counted::add;
            final long orderSeed = cfg.seed() + 1;
            final int shards = OrderKey.shardsForBytes(inputBytes(files));
            JavaRDD<Tuple2<OrderKey, Encoded>> sorted = raw
                    .mapPartitions((Iterator<RawRecords.Raw> it) -> encodePartition(it, c, tokPath, fingerprint, template, count))
                    .mapToPair(e -> new Tuple2<>(e.kept() ? new OrderKey(SplitAndDedup.unit(e.hash(), orderSeed), e.where()) : OrderKey.reject(e.where()), e))
                    .repartitionAndSortWithinPartitions(new OrderKey.ShardsThenRejects(shards), OrderKey.ORDER).rdd().toJavaRDD();

            SparkProgress.step(ssc, "split");
            Function<Encoded, Boolean> isVal = validationRule(sorted, shards, cfg);

            Plan plan = startOutput(outUri, shards, cfg);
            // dedup, split, pack and write each shard where it was sorted; each task returns its counts (exactly once)
            SparkProgress.step(ssc, "write shards");
            List<ShardResult> results = sorted.mapPartitionsWithIndex((p, it) -> List.of(writeShard(p, it, plan, isVal, count)).iterator(), true).collect();
            ssc.clearCallSite();
            if (bar != null) bar.close();
            PrepareSummary summary = finish(cfg, tok, plan, outUri, contentHash, results);
            log.print(summary.format());
            return summary;
        } finally {
            ssc.clearCallSite();
            if (bar != null) bar.close();
        }
    }


    /** Counts records as they pass (a Spark accumulator in the job, a plain counter in {@link LocalPrepare}). */
    interface Counter extends Serializable {
        void add(long n);
    }

    /**
     * Clears what an earlier run left at {@code outUri} (the manifest first: a run that fails from here on leaves no
     * directory that looks complete) and returns what the shard writers need.
     */
    static Plan startOutput(String outUri, int shards, PrepareConfig cfg) throws IOException {
        String trainUri = HadoopFs.join(outUri, "train"), valUri = HadoopFs.join(outUri, "val"), rejectsUri = HadoopFs.join(outUri, "rejects");
        for (String m : new String[] {"manifest.pb", "manifest.json"}) HadoopFs.delete(HadoopFs.join(outUri, m));
        for (String d : new String[] {trainUri, valUri, rejectsUri}) {
            HadoopFs.delete(d);
            HadoopFs.mkdirs(d);
        }
        return new Plan(shards, cfg.dedup(), cfg.packing(), cfg.cutoffLen(), trainUri, valUri, rejectsUri);
    }

    /** Adds up the shards' counts, checks them, marks the directories complete and writes the manifest last. */
    static PrepareSummary finish(PrepareConfig cfg, Tokenizer tok, Plan plan, String outUri, String contentHash, List<ShardResult> results) throws IOException {
        RejectTally tally = new RejectTally();
        LengthStats train = new LengthStats(cfg.cutoffLen()), val = new LengthStats(cfg.cutoffLen());
        long duplicates = 0, trainRows = 0, valRows = 0;
        for (ShardResult r : results) {
            tally.merge(r.tally);
            train.merge(r.train);
            val.merge(r.val);
            duplicates += r.duplicates;
            trainRows += r.trainRows;
            valRows += r.valRows;
        }
        long uniqueCount = train.examples + val.examples;
        if (tally.read != uniqueCount + tally.rejected() + duplicates) throw new IllegalStateException("counts do not add up: " + tally.read + " read");
        if (tally.read == 0) throw new IOException("data sources " + sourceList(cfg) + " hold no records: nothing to train on");
        if (uniqueCount == 0) {
            throw new IOException("all " + tally.read + " records of " + sourceList(cfg) + " were rejected " + tally.reasons()
                    + ": nothing to train on (each record and its reason: " + plan.rejectsUri() + ")");
        }
        if (cfg.valIsCount() && val.examples != cfg.valSize().longValue()) {
            throw new IllegalStateException("validation holds " + val.examples + " examples, not " + cfg.valSize());
        }
        for (String d : new String[] {plan.trainUri(), plan.valUri(), plan.rejectsUri()}) finish(d);
        if (trainRows == 0) ShardFiles.empty(plan.trainUri());
        if (valRows == 0) ShardFiles.empty(plan.valUri());

        LengthStats all = new LengthStats(cfg.cutoffLen()).merge(train).merge(val);
        PrepareSummary summary = new PrepareSummary(tally.read, uniqueCount, tally.rejected(), duplicates, all.truncated,
                train.examples, val.examples, trainRows, valRows, train.tokens, val.tokens, all.mean(), all.max, tally.reasons(), cfg.cutoffLen(), cfg.packing());
        writeManifest(outUri, cfg, tok, summary, all.histogram, PreparedDataset.shards(plan.trainUri()).size(), PreparedDataset.shards(plan.valUri()).size(),
                contentHash);
        return summary;
    }

    /**
     * Large JSON Lines files are read in slices of at least this many bytes when there are fewer files than cores
     * (system property lora4j.prepare.minSliceBytes, for tests).
     */
    static long minSliceBytes() {
        return Long.getLong("lora4j.prepare.minSliceBytes", 4L << 20);
    }

    /**
     * What the read tasks read: each file whole, except that when there are fewer files than cores a large JSON
     * Lines file is cut into byte ranges, one task each (a short job counts the newlines of each range first, so
     * every slice knows its first line number). This replaces shuffling the raw records of one file to all cores.
     */
    static List<RawRecords.Slice> slices(JavaSparkContext sc, List<String> files, int cores) throws IOException {
        List<RawRecords.Slice> out = new ArrayList<>();
        if (cores <= 1 || files.size() >= cores) {
            for (String f : files) out.add(RawRecords.Slice.whole(f));
            return out;
        }
        Configuration conf = HadoopConf.get();
        List<RawRecords.Slice> ranges = new ArrayList<>();
        for (String f : files) {
            Path p = new Path(f);
            long size = p.getFileSystem(conf).getFileStatus(p).getLen();
            int k = (int) Math.min(cores, size / minSliceBytes());
            if (k < 2 || RawRecords.isJsonArray(f)) continue;
            for (int j = 0; j < k; j++) ranges.add(new RawRecords.Slice(f, size * j / k, size * (j + 1) / k, 0));
        }
        List<RawRecords.LineCount> counts = ranges.isEmpty() ? List.of()
                : sc.parallelize(ranges, ranges.size()).map(r -> RawRecords.countLines(r.file(), r.start(), r.end())).collect();
        for (String f : files) {
            List<RawRecords.Slice> mine = new ArrayList<>();
            boolean nonBlank = false;
            long before = 0;
            for (int i = 0; i < ranges.size(); i++) {
                if (!ranges.get(i).file().equals(f)) continue;
                mine.add(new RawRecords.Slice(f, ranges.get(i).start(), ranges.get(i).end(), before));
                before += counts.get(i).newlines();
                nonBlank |= counts.get(i).nonBlank();
            }
            if (nonBlank) out.addAll(mine);
            else out.add(RawRecords.Slice.whole(f)); // small, a JSON array, or nothing but blanks ("empty file")
        }
        return out;
    }

    /** Total size of the input files: the number of shards follows from it (never from the cluster). */
    static long inputBytes(List<String> files) throws IOException {
        Configuration conf = HadoopConf.get();
        long n = 0;
        for (String f : files) {
            Path p = new Path(f);
            n += p.getFileSystem(conf).getFileStatus(p).getLen();
        }
        return n;
    }

    private static String sourceList(PrepareConfig cfg) {
        return cfg.sources().stream().map(PrepareConfig.Source::uri).toList().toString();
    }

    /** Drops temporary files of failed task attempts and marks the directory complete. */
    private static void finish(String dirUri) throws IOException {
        Path dir = HadoopFs.path(dirUri);
        FileSystem fs = dir.getFileSystem(HadoopConf.get());
        for (FileStatus st : fs.listStatus(dir)) if (st.getPath().getName().endsWith(".tmp")) fs.delete(st.getPath(), false);
        HadoopFs.writeAtomically(HadoopFs.join(dirUri, "_SUCCESS"), new byte[0]);
    }

    /** What a shard task needs to know. */
    record Plan(int shards, boolean dedup, boolean packing, int cutoff, String trainUri, String valUri, String rejectsUri) implements Serializable {}

    /** Counts of one shard (or of the rejects), returned to the driver by its task. */
    static final class ShardResult implements Serializable {
        final RejectTally tally = new RejectTally();
        final LengthStats train, val;
        long duplicates, trainRows, valRows;

        ShardResult(int cutoff) {
            train = new LengthStats(cutoff);
            val = new LengthStats(cutoff);
        }
    }

    /**
     * One shard: its records in order, deduplicated, to train/part-N.parquet and val/part-N.parquet (packed if asked;
     * a split with no rows in this shard gets no file); the last partition: the rejects, in position order.
     */
    static ShardResult writeShard(int p, Iterator<Tuple2<OrderKey, Encoded>> in, Plan plan, Function<Encoded, Boolean> isVal, Counter counted)
            throws Exception {
        ShardResult r = new ShardResult(plan.cutoff());
        long attempt = TaskContext.get() == null ? 0 : TaskContext.get().taskAttemptId();
        if (p == plan.shards()) {
            Iterator<String> lines = new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return in.hasNext();
                }

                @Override
                public String next() {
                    Encoded e = in.next()._2;
                    counted.add(1);
                    r.tally.add(e);
                    return rejectLine(e);
                }
            };
            ShardFiles.text(plan.rejectsUri(), "part-00000", attempt, lines);
            return r;
        }
        Iterator<Encoded> values = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return in.hasNext();
            }

            @Override
            public Encoded next() {
                r.tally.read++;
                counted.add(1);
                return in.next()._2;
            }
        };
        Iterator<Encoded> unique = plan.dedup() ? new DropRepeats(values) : values;
        String name = ShardFiles.shardName(p);
        Output train = new Output(plan.trainUri(), name, attempt, plan), val = new Output(plan.valUri(), name, attempt, plan);
        try (train; val) {
            long n = 0;
            while (unique.hasNext()) {
                Encoded e = unique.next();
                n++;
                if (isVal.call(e)) {
                    r.val.add(e);
                    val.accept(e);
                } else {
                    r.train.add(e);
                    train.accept(e);
                }
            }
            r.duplicates = r.tally.read - n;
        }
        r.trainRows = train.rows;
        r.valRows = val.rows;
        return r;
    }

    /** One split's file of a shard, opened at the first row, packing first if asked. */
    private static final class Output implements AutoCloseable {
        private final String dir, name;
        private final long attempt;
        private final Packer.Sink packer;
        private ShardFiles.Shard file;
        long rows;

        Output(String dir, String name, long attempt, Plan plan) {
            this.dir = dir;
            this.name = name;
            this.attempt = attempt;
            this.packer = plan.packing() ? new Packer.Sink(plan.cutoff(), this::write) : null;
        }

        void accept(Encoded e) throws IOException {
            if (packer != null) packer.accept(e);
            else write(e);
        }

        private void write(Encoded row) throws IOException {
            if (file == null) file = ShardFiles.parquet(dir, name, attempt);
            file.write(row);
            rows++;
        }

        @Override
        public void close() throws IOException {
            if (packer != null) packer.finish();
            if (file != null) file.close();
        }
    }

    /**
     * val_size as a fraction: a record is in validation when its split number (from its hash and the seed) is below
     * it, so adding data moves no old record. As a count: exactly that many records, those with the smallest numbers
     * (found by reading the sorted shards once more: the shuffle output, not the input, is read again).
     */
    private static Function<Encoded, Boolean> validationRule(JavaRDD<Tuple2<OrderKey, Encoded>> sorted, int shards, PrepareConfig cfg) {
        final boolean dedup = cfg.dedup();
        final long seed = cfg.seed();
        return validationRule(cfg, n -> sorted.mapPartitionsWithIndex((p, it) -> uniqueKeys(p, it, shards, dedup, seed).iterator(), true)
                .takeOrdered(n, OrderKey.ORDER));
    }

    /** The rule, given a way to find the {@code n} smallest split keys of the unique kept records. */
    static Function<Encoded, Boolean> validationRule(PrepareConfig cfg, java.util.function.IntFunction<List<OrderKey>> smallest) {
        final long seed = cfg.seed();
        if (!cfg.valIsCount()) {
            final double fraction = cfg.valSize();
            return e -> SplitAndDedup.unit(e.hash(), seed) < fraction;
        }
        long k = cfg.valSize().longValue();
        if (k > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("data.val_size = " + k + ": too large a count; give a fraction");
        List<OrderKey> first = smallest.apply((int) k + 1);
        if (first.isEmpty()) return e -> false; // nothing kept: the summary fails with the reject reasons
        if (first.size() <= k) {
            throw new IllegalArgumentException("data.val_size = " + k + " but only " + first.size() + " examples were kept: nothing would be left to train on");
        }
        final OrderKey last = first.get((int) k - 1);
        return e -> new OrderKey(SplitAndDedup.unit(e.hash(), seed), e.where()).compareTo(last) <= 0;
    }

    /** The split keys of one sorted partition's unique kept records (none for the rejects partition). */
    static List<OrderKey> uniqueKeys(int p, Iterator<Tuple2<OrderKey, Encoded>> it, int shards, boolean dedup, long seed) {
        List<OrderKey> keys = new ArrayList<>();
        if (p == shards) return keys;
        Iterator<Encoded> values = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Encoded next() {
                return it.next()._2;
            }
        };
        Iterator<Encoded> unique = dedup ? new DropRepeats(values) : values;
        while (unique.hasNext()) {
            Encoded e = unique.next();
            keys.add(new OrderKey(SplitAndDedup.unit(e.hash(), seed), e.where()));
        }
        return keys;
    }

    private static String rejectLine(Encoded e) {
        ObjectNode n = RecordParser.JSON.createObjectNode();
        n.put("source", e.where()).put("reason", e.reject()).put("record", e.original());
        return n.toString();
    }

    static Iterator<Encoded> encodePartition(Iterator<RawRecords.Raw> it, PrepareConfig c, String tokPath, String fingerprint, InstructionFormat template,
                                             Counter counted) throws IOException {
        Tokenizer tok = TokenizerCache.onExecutor(tokPath, fingerprint);
        ExampleEncoder.Truncation truncation = c.dropLong() ? ExampleEncoder.Truncation.DROP : ExampleEncoder.Truncation.RESPONSE;
        ExampleEncoder enc = new ExampleEncoder(tok, c.cutoffLen(), c.trainOnInputs(), truncation);
        ChatEncoder chat = template instanceof ModelChatFormat f ? new ChatEncoder(f, tok, c.cutoffLen(), c.trainOnInputs(), truncation) : null;
        String[] prefixes = c.sources().stream().map(s -> HadoopFs.path(s.uri()).toString()).toArray(String[]::new);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Encoded next() {
                counted.add(1);
                return encode(it.next(), c, prefixes, enc, chat, template);
            }
        };
    }

    private static Encoded encode(RawRecords.Raw r, PrepareConfig c, String[] prefixes, ExampleEncoder enc, ChatEncoder chat, InstructionFormat template) {
        if (r.reject() != null) return Encoded.rejected(r.where(), r.reject(), r.json());
        JsonNode node;
        try {
            node = RecordParser.JSON.readTree(r.json());
        } catch (IOException e) {
            return Encoded.rejected(r.where(), "malformed JSON: " + e.getMessage().split("\n")[0], r.json());
        }
        RecordParser.Parsed p = RecordParser.parse(node, r.where(), sourceFor(c, prefixes, r.where()), template);
        if (p.rejectReason() != null) return Encoded.rejected(r.where(), p.rejectReason(), r.json());
        boolean conversation = p.chat() != null; // only with a model chat template (the parser renders others as turn texts)
        ExampleEncoder.Result res = conversation ? chat.encode(p.chat()) : enc.encode(p.record());
        if (!res.kept()) return Encoded.rejected(r.where(), res.rejectReason(), r.json());
        long hash = conversation ? SplitAndDedup.hash(p.chat()) : SplitAndDedup.hash(p.record());
        return new Encoded(hash, res.inputIds(), res.labels(), r.where(), res.truncated(), null, null);
    }

    /**
     * The source a file came from (for its format and field names): the longest matching URI prefix, else the first.
     * {@code prefixes[i]} is source i's URI as a Hadoop path (made once per partition, not per record).
     */
    private static PrepareConfig.Source sourceFor(PrepareConfig c, String[] prefixes, String where) {
        int best = 0, bestLen = -1;
        for (int i = 0; i < prefixes.length; i++) {
            if (where.startsWith(prefixes[i]) && prefixes[i].length() > bestLen) {
                best = i;
                bestLen = prefixes[i].length();
            }
        }
        return c.sources().get(best);
    }

    private static void writeManifest(String outUri, PrepareConfig cfg, Tokenizer tok, PrepareSummary s, long[] hist, int trainShards, int valShards,
                                      String contentHash) throws IOException {
        DatasetManifest.Builder m = DatasetManifest.newBuilder().setFormatVersion(PreparedDataset.FORMAT_VERSION).setTokenizerFingerprint(tok.fingerprint())
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

    /**
     * A SparkSession for the CLI and tests: UI off, few SQL shuffle partitions, Spark's console progress bar off
     * (lora4j draws its own, {@link SparkProgress}), heartbeats every second so a running task's record count is live.
     */
    public static SparkSession localSession(String master) {
        return SparkSession.builder().master(master).appName("lora4j-prepare").config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false").config("spark.executor.heartbeatInterval", "1s")
                .config("spark.sql.shuffle.partitions", "4").getOrCreate();
    }
}
