package io.lora4j.data;

import io.lora4j.core.io.HadoopFs;
import io.lora4j.core.proto.DatasetManifest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.GroupType;
import org.apache.spark.sql.SparkSession;

/**
 * Reads what {@link PrepareJob} wrote, without Spark: the manifest and the train/val shards in training order (shard
 * files by name, rows in file order). The shards are read with parquet-hadoop's example Group reader (parquet-hadoop
 * comes with spark-sql), so a trainer needs no SparkSession; any Hadoop FileSystem URI works.
 */
public final class PreparedDataset {
    /**
     * The layout {@link PrepareJob} writes. 1: input_ids, labels, length, source. 2: + segments (the lengths of the
     * examples packed into a row). A packed dataset of format 1 cannot be trained on (its rows lack the boundaries).
     */
    public static final int FORMAT_VERSION = 2;

    public record Content(DatasetManifest manifest, List<TokenizedExample> train, List<TokenizedExample> val) {}

    private PreparedDataset() {}

    /** The manifest, train and validation examples of a prepared dataset directory. */
    public static Content open(String uri) throws IOException {
        DatasetManifest m = manifest(uri);
        requireReadable(m, uri);
        List<TokenizedExample> train = rows(HadoopFs.join(uri, "train")), val = rows(HadoopFs.join(uri, "val"));
        if (train.size() != m.getTrainRecords() || val.size() != m.getValRecords()) {
            throw new IOException(uri + ": the manifest lists " + m.getTrainRecords() + " train and " + m.getValRecords() + " validation rows, the shards hold "
                    + train.size() + " and " + val.size() + " (an incomplete or mixed dataset directory)");
        }
        return new Content(m, train, val);
    }

    /** Same as {@link #open(String)}; the session is not needed and kept for callers that have one. */
    public static Content read(SparkSession spark, String uri) throws IOException {
        return open(uri);
    }

    public static DatasetManifest manifest(String uri) throws IOException {
        String m = HadoopFs.join(uri, "manifest.pb");
        if (!HadoopFs.exists(m)) throw new IOException(uri + ": no manifest.pb (is this a dataset written by `lora4j prepare`?)");
        return DatasetManifest.parseFrom(HadoopFs.readAll(m));
    }

    /**
     * Fails for a dataset this version cannot train on as it was meant: a newer format, or one packed before rows kept
     * their examples' boundaries (format 1; unpacked format-1 datasets read as before).
     */
    static void requireReadable(DatasetManifest m, String uri) throws IOException {
        int v = m.getFormatVersion();
        if (v > FORMAT_VERSION) {
            throw new IOException(uri + ": dataset format " + v + " is newer than this lora4j reads (" + FORMAT_VERSION + "): use a newer lora4j or run `lora4j prepare` again");
        }
        if (v < 2 && m.getPacking()) {
            throw new IOException(uri + ": a packed dataset of format " + v + " does not record where its packed examples start and end (format "
                    + FORMAT_VERSION + " does, so they no longer attend to each other): run `lora4j prepare` again");
        }
    }

    /** Fails unless the dataset was tokenized by a tokenizer with this fingerprint. */
    public static void requireTokenizer(DatasetManifest m, String uri, String fingerprint) {
        if (!m.getTokenizerFingerprint().equals(fingerprint)) {
            throw new IllegalArgumentException(uri + " was tokenized with another tokenizer (fingerprint " + m.getTokenizerFingerprint()
                    + ", expected " + fingerprint + "): run `lora4j prepare` again with this base model");
        }
    }

    /** The Parquet shard files of one split, in training order. */
    static List<Path> shards(String dirUri) throws IOException {
        Configuration conf = HadoopConf.get();
        Path dir = HadoopFs.path(dirUri);
        FileSystem fs = dir.getFileSystem(conf);
        List<Path> out = new ArrayList<>();
        if (!fs.exists(dir)) return out;
        for (FileStatus st : fs.listStatus(dir)) {
            String name = st.getPath().getName();
            if (st.isFile() && name.startsWith("part-") && name.endsWith(".parquet")) out.add(st.getPath());
        }
        out.sort(null);
        return out;
    }

    /** Rows in one split, from the Parquet footers (no data pages are read). */
    static long rowCount(String dirUri) throws IOException {
        Configuration conf = HadoopConf.get();
        long n = 0;
        for (Path shard : shards(dirUri)) {
            try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(shard, conf))) {
                n += r.getRecordCount();
            }
        }
        return n;
    }

    private static List<TokenizedExample> rows(String dirUri) throws IOException {
        List<TokenizedExample> out = new ArrayList<>();
        Configuration conf = HadoopConf.get();
        for (Path shard : shards(dirUri)) {
            try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), shard).withConf(conf).build()) {
                for (Group g; (g = r.read()) != null; ) {
                    out.add(example(g, shard));
                }
            } catch (RuntimeException e) {
                throw new IOException(shard + ": not a lora4j dataset shard (expected columns input_ids, labels, length, source[, segments]): " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static TokenizedExample example(Group g, Path shard) throws IOException {
        int[] ids = ints(g.getGroup("input_ids", 0)), labels = ints(g.getGroup("labels", 0));
        String source = g.getString("source", 0);
        if (g.getInteger("length", 0) != ids.length) throw new IOException(shard + ": row " + source + " has length " + g.getInteger("length", 0) + " but " + ids.length + " ids");
        int[] segments = g.getType().containsField("segments") ? ints(g.getGroup("segments", 0)) : null; // format 1: none
        try {
            TokenizedExample e = new TokenizedExample(ids, labels, source, segments); // checks that the segments add up to the row
            return e.packed() ? e : new TokenizedExample(ids, labels, source);
        } catch (IllegalArgumentException e) {
            throw new IOException(shard + ": " + e.getMessage(), e);
        }
    }

    /** A Parquet LIST of int32: the standard three-level layout Spark writes, or the legacy two-level one. */
    private static int[] ints(Group list) {
        GroupType t = list.getType();
        int n = list.getFieldRepetitionCount(0);
        int[] a = new int[n];
        boolean primitive = t.getType(0).isPrimitive();
        for (int i = 0; i < n; i++) a[i] = primitive ? list.getInteger(0, i) : list.getGroup(0, i).getInteger(0, 0);
        return a;
    }
}
