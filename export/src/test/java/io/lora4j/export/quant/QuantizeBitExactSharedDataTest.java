package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufTensorInfo;
import io.lora4j.core.testing.SharedData;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * lora4j against llama-quantize's own output of synth-a (reference/README.md): for each preset, tensor by tensor,
 * the type the mixing rules choose and the quantized bytes; once through the quantizer API directly and once
 * through a whole GGUF rewrite.
 */
class QuantizeBitExactSharedDataTest {

    @ParameterizedTest
    @ValueSource(strings = {"F16", "Q8_0", "Q4_0", "Q4_K_M", "Q6_K"})
    void everyTensorHasLlamaQuantizesTypeAndBytes(String presetName) throws Exception {
        QuantPreset preset = QuantPreset.parse(presetName);
        try (GgufFile src = GgufFile.open(SharedData.file("reference/synth-a/f32.gguf"));
             GgufFile ref = GgufFile.open(SharedData.file("reference/synth-a/" + presetName + ".gguf"))) {
            List<GgufTensorInfo> order = GgufQuantizer.sorted(src.tensors());
            LayerCounts counts = LayerCounts.of(order.stream().map(GgufTensorInfo::name).toList(),
                    (int) src.metadata().getInteger("llama.block_count"), (int) src.metadata().getInteger("llama.attention.head_count"),
                    (int) src.metadata().getInteger("llama.attention.head_count_kv"));
            assertTrue(counts.nHeadKv < counts.nHead, "synth-a uses grouped-query attention");
            assertEquals(ref.tensors().size(), order.size());
            StringBuilder mismatches = new StringBuilder();
            Map<GgmlType, Integer> exact = new TreeMap<>();
            for (GgufTensorInfo t : order) {
                GgufTensorInfo r = ref.tensor(t.name()).orElseThrow(() -> new AssertionError(presetName + " has no " + t.name()));
                assertArrayEquals(r.ne(), t.ne(), t.name());
                GgmlType chosen = preset.typeFor(t.name(), t.ne(), counts);
                GgmlType ours = chosen == null ? t.type() : chosen;
                if (ours != r.type()) {
                    mismatches.append(t.name()).append(": type ").append(ours).append(", llama-quantize ").append(r.type()).append('\n');
                    continue;
                }
                ByteBuffer expected = ref.tensorBytes(r);
                ByteBuffer got = chosen == null ? src.tensorBytes(t)
                        : Quantizers.quantize(src.readFloats(t), (int) (t.elementCount() / t.ne()[0]), (int) t.ne()[0], ours, 2);
                String diff = firstDifference(got, expected, ours);
                if (diff != null) mismatches.append(t.name()).append(" (").append(ours).append("): ").append(diff).append('\n');
                else exact.merge(ours, 1, Integer::sum);
            }
            assertEquals("", mismatches.toString(), presetName);
            System.out.println("synth-a " + presetName + ": bit-exact tensors per type " + exact);
            assertTrue(exact.keySet().stream().anyMatch(GgmlType::isQuantized) || !preset.defaultType.isQuantized(), "nothing quantized");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "Q8_0", "Q4_0", "Q4_K_M", "Q6_K"})
    void wholeFileRewriteMatchesLlamaQuantize(String presetName, @TempDir Path tmp) throws Exception {
        Path out = tmp.resolve(presetName + ".gguf");
        GgufQuantizer.quantize(SharedData.file("reference/synth-a/f32.gguf"), out, QuantPreset.parse(presetName), 2);
        try (GgufFile ours = GgufFile.open(out); GgufFile ref = GgufFile.open(SharedData.file("reference/synth-a/" + presetName + ".gguf"))) {
            assertEquals(ref.tensors().size(), ours.tensors().size());
            StringBuilder mismatches = new StringBuilder();
            for (GgufTensorInfo r : ref.tensors()) {
                GgufTensorInfo o = ours.tensor(r.name()).orElseThrow(() -> new AssertionError("missing " + r.name()));
                String diff = o.type() != r.type() ? "type " + o.type() + " vs " + r.type() : firstDifference(ours.tensorBytes(o), ref.tensorBytes(r), r.type());
                if (diff != null) mismatches.append(r.name()).append(": ").append(diff).append('\n');
            }
            assertEquals("", mismatches.toString(), presetName);
            assertEquals(ref.metadata().getUInt32("general.file_type"), ours.metadata().getUInt32("general.file_type"));
            assertEquals(ref.metadata().getUInt32("general.quantization_version"), ours.metadata().getUInt32("general.quantization_version"));
        }
    }

    /** null when equal, else how many bytes differ and where the first one is. */
    private static String firstDifference(ByteBuffer got, ByteBuffer expected, GgmlType type) {
        if (got.remaining() != expected.remaining()) return got.remaining() + " bytes, expected " + expected.remaining();
        int diff = 0, first = -1;
        for (int i = 0; i < expected.remaining(); i++) {
            if (got.get(got.position() + i) != expected.get(expected.position() + i)) {
                if (first < 0) first = i;
                diff++;
            }
        }
        return diff == 0 ? null : diff + " of " + expected.remaining() + " bytes differ, first at byte " + first + " (block " + first / type.typeSize + ")";
    }
}
