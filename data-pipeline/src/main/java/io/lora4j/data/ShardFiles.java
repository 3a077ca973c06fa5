package io.lora4j.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
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
              required group segments (LIST) { repeated group list { required int32 element; } }
            }""");

    private ShardFiles() {}

    static String shardName(int shard) {
        return String.format("part-%05d.parquet", shard);
    }

    /** A Parquet writer for examples at {@code dir/name}, through a temporary file; {@link Shard#close()} publishes it. */
    static Shard parquet(String dir, String name, long attempt) throws IOException {
        return new Shard(dir, name, attempt);
    }

    /**
     * Straight to Parquet's column writers (repetition and definition levels computed here), without the record
     * assembly layer (MessageColumnIO), which took as much time as the encoding itself for these per-token lists.
     * One row group per 128 MiB buffered (a shard is far smaller), Parquet's default page, dictionary (not for source)
     * and statistics settings, Snappy.
     */
    static final class Shard implements AutoCloseable {
        private static final long ROW_GROUP_BYTES = 128L << 20;
        private final Path target, temp;
        private final FileSystem fs;
        // no dictionary for source: every value is unique, so the dictionary only costs hashing before its fallback
        private final ParquetProperties props = ParquetProperties.builder().withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
                .withDictionaryEncoding("source", false).build();
        private final CodecFactory codecs;
        private final CompressionCodecFactory.BytesInputCompressor compressor;
        private final ParquetFileWriter file;
        private final ColumnDescriptor idsCol, labelsCol, lengthCol, sourceCol, segmentsCol;
        private ColumnChunkPageWriteStore pages;
        private ColumnWriteStore columns;
        private ColumnWriter ids, labels, length, source, segments;
        private long inGroup;
        long rows;

        private Shard(String dir, String name, long attempt) throws IOException {
            Configuration conf = HadoopConf.get();
            target = new Path(dir, name);
            temp = new Path(dir, "." + name + "." + attempt + ".tmp");
            fs = target.getFileSystem(conf);
            codecs = new CodecFactory(conf, props.getPageSizeThreshold());
            compressor = codecs.getCompressor(CompressionCodecName.SNAPPY);
            file = new ParquetFileWriter(HadoopOutputFile.fromPath(temp, conf), PARQUET_SCHEMA, ParquetFileWriter.Mode.OVERWRITE, ROW_GROUP_BYTES,
                    ParquetWriter.MAX_PADDING_SIZE_DEFAULT, props.getColumnIndexTruncateLength(), props.getStatisticsTruncateLength(),
                    props.getPageWriteChecksumEnabled());
            file.start();
            idsCol = PARQUET_SCHEMA.getColumnDescription(new String[] {"input_ids", "list", "element"});
            labelsCol = PARQUET_SCHEMA.getColumnDescription(new String[] {"labels", "list", "element"});
            lengthCol = PARQUET_SCHEMA.getColumnDescription(new String[] {"length"});
            sourceCol = PARQUET_SCHEMA.getColumnDescription(new String[] {"source"});
            segmentsCol = PARQUET_SCHEMA.getColumnDescription(new String[] {"segments", "list", "element"});
            rowGroup();
        }

        private void rowGroup() {
            pages = new ColumnChunkPageWriteStore(compressor, PARQUET_SCHEMA, props.getAllocator(), props.getColumnIndexTruncateLength(),
                    props.getPageWriteChecksumEnabled());
            columns = props.newColumnWriteStore(PARQUET_SCHEMA, pages, pages);
            ids = columns.getColumnWriter(idsCol);
            labels = columns.getColumnWriter(labelsCol);
            length = columns.getColumnWriter(lengthCol);
            source = columns.getColumnWriter(sourceCol);
            segments = columns.getColumnWriter(segmentsCol);
            inGroup = 0;
        }

        private void flushRowGroup() throws IOException {
            if (inGroup > 0) {
                file.startBlock(inGroup);
                columns.flush();
                pages.flushToFileWriter(file);
                file.endBlock();
            }
            columns.close();
            pages.close();
        }

        void write(Encoded e) throws IOException {
            list(ids, idsCol, e.inputIds());
            list(labels, labelsCol, e.labels());
            length.write(e.inputIds().length, 0, 0);
            source.write(Binary.fromString(e.where()), 0, 0);
            list(segments, segmentsCol, e.segmentLengths());
            columns.endRecord();
            rows++;
            if (++inGroup % 1024 == 0 && columns.getBufferedSize() > ROW_GROUP_BYTES) {
                flushRowGroup();
                rowGroup();
            }
        }

        /** A required list of required ints: each element at full definition, repeated after the first; empty: one null. */
        private static void list(ColumnWriter w, ColumnDescriptor c, int[] values) {
            int def = c.getMaxDefinitionLevel(), rep = c.getMaxRepetitionLevel();
            if (values.length == 0) {
                w.writeNull(0, def - 1);
                return;
            }
            w.write(values[0], 0, def);
            for (int i = 1; i < values.length; i++) w.write(values[i], rep, def);
        }

        @Override
        public void close() throws IOException {
            try {
                flushRowGroup();
                Map<String, String> meta = new HashMap<>();
                meta.put("org.apache.spark.sql.parquet.row.metadata", PrepareJob.SCHEMA.json());
                file.end(meta);
            } finally {
                codecs.release();
            }
            publish(fs, temp, target);
        }
    }

    /** Writes the rejects text file (one JSON line each) at {@code dir/name} through a temporary file. */
    static void text(String dir, String name, long attempt, java.util.Iterator<String> lines) throws IOException {
        Path target = new Path(dir, name), temp = new Path(dir, "." + name + "." + attempt + ".tmp");
        FileSystem fs = target.getFileSystem(HadoopConf.get());
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
}
