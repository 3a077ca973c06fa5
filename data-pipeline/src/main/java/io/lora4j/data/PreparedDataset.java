package io.lora4j.data;

import io.lora4j.core.io.HadoopFs;
import io.lora4j.core.proto.DatasetManifest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Reads what {@link PrepareJob} wrote: the manifest and the train/val shards (in the order they were written). */
public final class PreparedDataset {
    public record Example(int[] inputIds, int[] labels, String source) {}

    public record Content(DatasetManifest manifest, List<Example> train, List<Example> val) {}

    private PreparedDataset() {}

    public static DatasetManifest manifest(String uri) throws IOException {
        String m = HadoopFs.join(uri, "manifest.pb");
        if (!HadoopFs.exists(m)) throw new IOException(uri + ": no manifest.pb (is this a dataset written by `lora4j prepare`?)");
        return DatasetManifest.parseFrom(HadoopFs.readAll(m));
    }

    public static Content read(SparkSession spark, String uri) throws IOException {
        return new Content(manifest(uri), rows(spark, HadoopFs.join(uri, "train")), rows(spark, HadoopFs.join(uri, "val")));
    }

    private static List<Example> rows(SparkSession spark, String uri) throws IOException {
        List<Example> out = new ArrayList<>();
        if (!HadoopFs.exists(uri)) return out;
        for (Row r : spark.read().parquet(uri).collectAsList()) {
            out.add(new Example(ints(r.getList(0)), ints(r.getList(1)), r.getString(3)));
        }
        return out;
    }

    private static int[] ints(List<Object> l) {
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = ((Number) l.get(i)).intValue();
        return a;
    }
}
