package io.lora4j.export.quant;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the legacy binary imatrix of llama.cpp c392e5094 that {@link ImportanceMatrix#read} and llama-quantize
 * --imatrix read: int32 n_entries; per entry int32 name length, name, int32 ncall, int32 nval, nval float32; then
 * int32 last-call count (chunks), int32 length and the dataset name. All little-endian.
 */
public final class ImportanceMatrixWriter {
    /** One tensor's entry; {@code values} are as stored in the file (llama-imatrix: mean of x² times ncall). */
    public record Entry(String name, int ncall, float[] values) {}

    private ImportanceMatrixWriter() {}

    public static void write(Path file, List<Entry> entries, int chunks, String dataset) throws IOException {
        if (entries.isEmpty()) throw new IllegalArgumentException(file + ": an imatrix needs at least one entry (llama-quantize rejects an empty one)");
        byte[] ds = (dataset == null ? "" : dataset).getBytes(StandardCharsets.UTF_8);
        long size = 4 + 8 + ds.length;
        for (Entry e : entries) size += 12 + e.name().getBytes(StandardCharsets.UTF_8).length + 4L * e.values().length;
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(entries.size());
        for (Entry e : entries) {
            for (float v : e.values()) {
                if (!Float.isFinite(v)) throw new IllegalArgumentException("imatrix entry '" + e.name() + "' has a non-finite value " + v);
            }
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            b.putInt(name.length).put(name).putInt(e.ncall()).putInt(e.values().length);
            for (float v : e.values()) b.putFloat(v);
        }
        b.putInt(chunks).putInt(ds.length).put(ds);
        Files.write(file, b.array());
    }
}
