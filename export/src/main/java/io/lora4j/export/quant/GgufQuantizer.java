package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufTensorInfo;
import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code lora4j quantize IN OUT TYPE}: re-writes a GGUF with llama-quantize's type mixing and ggml's reference
 * quantizers: tensors sorted layer-major as llama-quantize orders them, metadata copied with
 * general.file_type and general.quantization_version set, alignment 32.
 */
public final class GgufQuantizer {
    private GgufQuantizer() {}

    public static void quantize(Path in, Path out, QuantPreset preset, int threads) throws IOException {
        try (GgufFile f = GgufFile.open(in)) {
            GgufWriter w = new GgufWriter();
            f.metadata().asMap().forEach((k, v) -> {
                if (!k.equals("general.file_type") && !k.equals("general.quantization_version") && !k.equals("general.alignment")) w.put(k, v);
            });
            w.put("general.quantization_version", GgufValue.uint32(2));
            w.put("general.file_type", GgufValue.uint32(preset.ftype));
            int layers = (int) f.metadata().getInteger("llama.block_count", 0);
            int heads = (int) f.metadata().getInteger("llama.attention.head_count", 1);
            int kvHeads = (int) f.metadata().getInteger("llama.attention.head_count_kv", heads);
            QuantPreset.Counters c = new QuantPreset.Counters(layers, heads, kvHeads, f.tensor("output.weight").isPresent());
            for (GgufTensorInfo t : sorted(f.tensors())) {
                GgmlType target = preset.typeFor(t.name(), t.ne(), c);
                if (target == null || target == t.type()) {
                    w.addTensor(t.name(), t.ne(), t.type(), f.tensorBytes(t));
                    continue;
                }
                if (t.type() != GgmlType.F32 && t.type() != GgmlType.F16 && t.type() != GgmlType.BF16) {
                    throw new IOException(in + ": tensor '" + t.name() + "' is already " + t.type() + "; re-quantizing a quantized model compounds the error (start from F32/F16)");
                }
                float[] values = f.readFloats(t);
                int rowLen = (int) t.ne()[0];
                w.addTensor(t.name(), t.ne(), target, Quantizers.quantize(values, values.length / rowLen, rowLen, target, threads));
            }
            w.write(out);
        }
    }

    /** llama-quantize's order: non-layer tensors first, then by layer number, then by name. */
    static List<GgufTensorInfo> sorted(List<GgufTensorInfo> tensors) {
        List<GgufTensorInfo> s = new ArrayList<>(tensors);
        s.sort(Comparator.comparingInt((GgufTensorInfo t) -> layer(t.name())).thenComparing(GgufTensorInfo::name));
        return s;
    }

    static int layer(String name) {
        if (!name.startsWith("blk.")) return -1;
        int end = name.indexOf('.', 4);
        return Integer.parseInt(name.substring(4, end));
    }
}
