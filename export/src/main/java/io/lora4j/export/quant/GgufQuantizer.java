package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufTensorInfo;
import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.gguf.GgufWriter;
import io.lora4j.core.model.WeightSource;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code lora4j quantize IN OUT TYPE}: re-writes a GGUF with llama-quantize's type mixing and ggml's reference
 * quantizers: tensors sorted layer-major as llama-quantize orders them, metadata copied with
 * general.file_type and general.quantization_version set, alignment 32. Streams: each tensor is read, quantized and
 * written before the next is read (a part of rows at a time), into a temporary file renamed at the end.
 */
public final class GgufQuantizer {
    private GgufQuantizer() {}

    public static void quantize(Path in, Path out, QuantPreset preset, int threads) throws IOException {
        quantize(in, out, preset, threads, null, null);
    }

    /**
     * As llama-quantize --imatrix: {@code imatrix} (null: none) weighs each tensor it has an entry for, changes a few
     * type choices, and is recorded as quantize.imatrix.* metadata ({@code imatrixName}: the file name recorded).
     */
    public static void quantize(Path in, Path out, QuantPreset preset, int threads, ImportanceMatrix imatrix, String imatrixName) throws IOException {
        try (GgufFile f = GgufFile.open(in)) {
            GgufWriter w = new GgufWriter();
            f.metadata().asMap().forEach((k, v) -> {
                if (!k.equals("general.file_type") && !k.equals("general.quantization_version") && !k.equals("general.alignment") && !k.startsWith("quantize.imatrix.")) w.put(k, v);
            });
            w.put("general.quantization_version", GgufValue.uint32(2));
            w.put("general.file_type", GgufValue.uint32(preset.ftype));
            if (imatrix != null) imatrix.putMetadata(w, imatrixName);
            int layers = (int) f.metadata().getInteger("llama.block_count", 0);
            int heads = (int) f.metadata().getInteger("llama.attention.head_count", 1);
            int kvHeads = (int) f.metadata().getInteger("llama.attention.head_count_kv", heads);
            List<GgufTensorInfo> order = sorted(f.tensors());
            LayerCounts c = LayerCounts.of(order.stream().map(GgufTensorInfo::name).toList(), layers, heads, kvHeads).withImatrix(imatrix != null);
            for (GgufTensorInfo t : order) {
                GgmlType target = preset.typeFor(t.name(), t.ne(), c);
                if (target == null || target == t.type()) {
                    w.addTensorStream(t.name(), t.ne(), t.type(), ch -> f.copyTensorTo(t, ch));
                    continue;
                }
                if (t.type() != GgmlType.F32 && t.type() != GgmlType.F16 && t.type() != GgmlType.BF16) {
                    throw new IOException(in + ": tensor '" + t.name() + "' is already " + t.type() + "; re-quantizing a quantized model compounds the error (start from F32/F16)");
                }
                float[] qw;
                try {
                    qw = imatrix == null ? null : imatrix.forTensor(t.name(), t.ne());
                } catch (IllegalArgumentException e) {
                    throw new IOException(in + ": " + e.getMessage(), e);
                }
                // read, quantized and written a part of rows at a time when the writer reaches it: no whole tensor in memory
                float[] weights = qw;
                w.addTensorStream(t.name(), t.ne(), target, ch -> quantizeInParts(f, t, target, threads, weights, WeightSource.PART_VALUES, ch));
            }
            w.write(out);
        }
    }

    /**
     * Quantizes tensor {@code t} of {@code f} into {@code ch}, about {@code partValues} values at a time. ggml quantizes
     * each row on its own, so the parts give exactly the bytes of the whole tensor; a part never spans two ne[2]
     * slices, since with an importance matrix each slice (expert) has its own weights.
     */
    static void quantizeInParts(GgufFile f, GgufTensorInfo t, GgmlType target, int threads, float[] qw, long partValues, WritableByteChannel ch) throws IOException {
        int rowLen = (int) t.ne()[0];
        long rows = t.elementCount() / rowLen;
        int slices = t.ne().length > 2 && qw != null ? (int) t.ne()[2] : 1;
        long rowsPerSlice = rows / slices;
        int partRows = (int) Math.max(1, Math.min(partValues / rowLen, rowsPerSlice));
        for (int s = 0; s < slices; s++) {
            float[] weights = slices == 1 ? qw : java.util.Arrays.copyOfRange(qw, s * rowLen, (s + 1) * rowLen);
            for (long r0 = 0; r0 < rowsPerSlice; r0 += partRows) {
                int n = (int) Math.min(partRows, rowsPerSlice - r0);
                float[] v = new float[n * rowLen];
                f.readRowsInto(t, s * rowsPerSlice + r0, n, v, 0);
                java.nio.ByteBuffer q = Quantizers.quantize(v, n, rowLen, target, threads, weights);
                while (q.hasRemaining()) ch.write(q);
            }
        }
    }

    /** llama-quantize's order: non-layer tensors first, then by layer number, then by name. */
    static List<GgufTensorInfo> sorted(List<GgufTensorInfo> tensors) {
        List<GgufTensorInfo> s = new ArrayList<>(tensors);
        s.sort(Comparator.comparingInt((GgufTensorInfo t) -> layer(t.name())).thenComparing(GgufTensorInfo::name));
        return s;
    }

    /** sscanf(name, "blk.%d.") as llama.cpp's weight_name_comparer does; -1 for tensors outside the layers. */
    static int layer(String name) {
        if (!name.startsWith("blk.")) return -1;
        int end = 4;
        while (end < name.length() && name.charAt(end) >= '0' && name.charAt(end) <= '9' && end < 13) end++;
        return end == 4 ? -1 : Integer.parseInt(name.substring(4, end));
    }
}
