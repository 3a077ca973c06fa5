package io.lora4j.export.quant;

import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.gguf.GgufWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An importance matrix as llama-imatrix writes it (the legacy binary .dat of llama.cpp c392e5094) and as
 * llama-quantize --imatrix reads it: little-endian int32 n_entries, then per entry int32 name length, the name
 * bytes, int32 ncall, int32 nval and nval float32 sums; then, optionally, int32 last-call count, int32 length and
 * the dataset name. Each entry's values are divided by its ncall (when ncall &gt; 0), as llama-quantize does, giving
 * one weight per column of the tensor.
 */
public final class ImportanceMatrix {
    private final Map<String, float[]> weights;
    private final int chunks;
    private final String dataset;

    private ImportanceMatrix(Map<String, float[]> weights, int chunks, String dataset) {
        this.weights = weights;
        this.chunks = chunks;
        this.dataset = dataset;
    }

    public static ImportanceMatrix read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        try {
            int n = b.getInt();
            if (n < 1) throw new IOException(file + ": no entries (n_entries " + n + "); is this an imatrix .dat file?");
            Map<String, float[]> w = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                int len = b.getInt();
                if (len < 0 || len > b.remaining()) throw new IOException(file + ": entry " + (i + 1) + " has a name length of " + len);
                byte[] name = new byte[len];
                b.get(name);
                String key = new String(name, StandardCharsets.UTF_8);
                int ncall = b.getInt(), nval = b.getInt();
                if (nval < 1 || (long) nval * 4 > b.remaining()) {
                    throw new IOException(file + ": entry '" + key + "' has " + nval + " values but " + b.remaining() + " bytes remain");
                }
                float[] v = new float[nval];
                for (int j = 0; j < nval; j++) {
                    float f = b.getFloat();
                    v[j] = ncall > 0 ? f / ncall : f;
                    if (!Float.isFinite(v[j])) throw new IOException(file + ": entry '" + key + "' value " + j + " is " + f + " (llama-quantize rejects non-finite weights)");
                }
                w.put(key, v); // a repeated name replaces the earlier entry, as in llama-quantize's map
            }
            int chunks = 0;
            String dataset = "";
            if (b.remaining() >= 8) {
                chunks = b.getInt();
                int len = b.getInt();
                if (len < 0 || len > b.remaining()) throw new IOException(file + ": dataset name length " + len + " with " + b.remaining() + " bytes left");
                byte[] d = new byte[len];
                b.get(d);
                dataset = new String(d, StandardCharsets.UTF_8);
            }
            return new ImportanceMatrix(Collections.unmodifiableMap(w), chunks, dataset);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException(file + ": truncated imatrix file (" + b.capacity() + " bytes)", e);
        }
    }

    /** The per-column weights of this tensor (values / ncall), or null when the matrix has no entry for it. */
    public float[] weightsFor(String tensor) {
        return weights.get(tensor);
    }

    public Map<String, float[]> entries() {
        return weights;
    }

    /** The number of chunks the matrix was computed on (0 when the file does not record it). */
    public int chunks() {
        return chunks;
    }

    /** The name of the text it was computed on ("" when the file does not record it). */
    public String dataset() {
        return dataset;
    }

    /**
     * llama-quantize's choice of weights for one tensor: the entry when its size is ne[0]·ne[2], none when there
     * is no entry, and an error otherwise (except for token_embd.weight, which is then quantized without).
     */
    public float[] forTensor(String name, long[] ne) {
        float[] w = weights.get(name);
        if (w == null) return null;
        long expected = ne[0] * (ne.length > 2 ? ne[2] : 1);
        if (w.length == expected) return w;
        if (name.equals("token_embd.weight")) return null;
        throw new IllegalArgumentException("imatrix entry '" + name + "' has " + w.length + " values but the tensor needs " + expected + " (ne[0]·ne[2])");
    }

    /**
     * The keys llama-quantize adds to a file quantized with an imatrix: quantize.imatrix.file ({@code fileName}, as
     * given on its command line), .dataset, .entries_count and .chunks_count (strings cut at 127 bytes, as it does).
     */
    public void putMetadata(GgufWriter w, String fileName) {
        w.put("quantize.imatrix.file", GgufValue.string(cut(fileName == null ? "" : fileName)));
        if (!dataset.isEmpty()) w.put("quantize.imatrix.dataset", GgufValue.string(cut(dataset)));
        w.put("quantize.imatrix.entries_count", GgufValue.int32(weights.size()));
        if (chunks > 0) w.put("quantize.imatrix.chunks_count", GgufValue.int32(chunks));
    }

    private static String cut(String s) {
        return s.length() > 127 ? s.substring(0, 127) : s;
    }
}
