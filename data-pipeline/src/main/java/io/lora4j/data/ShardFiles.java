package io.lora4j.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The dataset's files, written on executors without Spark SQL: Parquet shards with the layout Spark writes for
 * {@link PrepareJob#SCHEMA} (three-level int32 lists, Snappy, Spark's schema in the footer so Spark reads the same
 * types) straight from the token arrays (no Row/InternalRow conversion), and the rejects text file. A file is written
 * under a hidden temporary name of its task attempt and renamed into place when complete, so readers (which skip
 * names starting with "." or "_") never see a partial file and a retried task replaces, never mixes.
 */
final class ShardFiles {
    static final MessageType PARQUET_SCHEMA = MessageTypeParser.parseMessageType("""
            message spark_schema {
              required group input_ids (LIST) { repeated group list { required int32 element; } }
              required group labels (LIST) { repeated group list { required int32 element; } }
              required int32 length;
              required binary source (STRING);
            }""");

    private ShardFiles() {}

    static String shardName(int shard) {
        return String.format("part-%05d.parquet", shard);
    }

    /** A Parquet writer for examples at {@code dir/name}, through a temporary file; {@link Shard#close()} publishes it. */
    static Shard parquet(String dir, String name, long attempt) throws IOException {
        return new Shard(dir, name, attempt);
    }

    static final class Shard implements AutoCloseable {
        private final Path target, temp;
        private final FileSystem fs;
        private final ParquetWriter<Encoded> writer;
        long rows;

        private Shard(String dir, String name, long attempt) throws IOException {
            Configuration conf = new Configuration();
            target = new Path(dir, name);
            temp = new Path(dir, "." + name + "." + attempt + ".tmp");
            fs = target.getFileSystem(conf);
            writer = new Builder(HadoopOutputFile.fromPath(temp, conf)).withConf(conf).withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    .withCompressionCodec(CompressionCodecName.SNAPPY).withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0).build();
        }

        void write(Encoded e) throws IOException {
            writer.write(e);
            rows++;
        }

        @Override
        public void close() throws IOException {
            writer.close();
            publish(fs, temp, target);
        }
    }

    /** Writes the rejects text file (one JSON line each) at {@code dir/name} through a temporary file. */
    static void text(String dir, String name, long attempt, java.util.Iterator<String> lines) throws IOException {
        Path target = new Path(dir, name), temp = new Path(dir, "." + name + "." + attempt + ".tmp");
        FileSystem fs = target.getFileSystem(new Configuration());
        try (OutputStream out = new java.io.BufferedOutputStream(fs.create(temp, true), 1 << 16)) {
            while (lines.hasNext()) {
                String l = lines.next();
                out.write(l.getBytes(StandardCharsets.UTF_8));
                out.write('\n');
            }
        }
        publish(fs, temp, target);
    }

    /** A schema-only shard for a split that has no rows (Spark can still read the directory). */
    static void empty(String dir) throws IOException {
        try (Shard s = parquet(dir, shardName(0), 0)) {
            s.rows = 0;
        }
    }

    private static void publish(FileSystem fs, Path temp, Path target) throws IOException {
        if (fs.exists(target)) fs.delete(target, false); // an earlier attempt of the same task wrote the same bytes
        if (!fs.rename(temp, target)) throw new IOException("could not rename " + temp + " to " + target);
    }

    private static final class Builder extends ParquetWriter.Builder<Encoded, Builder> {
        Builder(OutputFile file) {
            super(file);
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<Encoded> getWriteSupport(Configuration conf) {
            return new Support();
        }
    }

    /** Encoded → one row: input_ids, labels, length, source. */
    private static final class Support extends WriteSupport<Encoded> {
        private RecordConsumer rc;

        @Override
        public WriteContext init(Configuration configuration) {
            Map<String, String> meta = new HashMap<>();
            meta.put("org.apache.spark.sql.parquet.row.metadata", PrepareJob.SCHEMA.json());
            return new WriteContext(PARQUET_SCHEMA, meta);
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            rc = recordConsumer;
        }

        @Override
        public void write(Encoded e) {
            rc.startMessage();
            list("input_ids", 0, e.inputIds());
            list("labels", 1, e.labels());
            rc.startField("length", 2);
            rc.addInteger(e.inputIds().length);
            rc.endField("length", 2);
            rc.startField("source", 3);
            rc.addBinary(Binary.fromString(e.where()));
            rc.endField("source", 3);
            rc.endMessage();
        }

        private void list(String name, int index, int[] values) {
            rc.startField(name, index);
            rc.startGroup();
            if (values.length > 0) {
                rc.startField("list", 0);
                for (int v : values) {
                    rc.startGroup();
                    rc.startField("element", 0);
                    rc.addInteger(v);
                    rc.endField("element", 0);
                    rc.endGroup();
                }
                rc.endField("list", 0);
            }
            rc.endGroup();
            rc.endField(name, index);
        }
    }
}
