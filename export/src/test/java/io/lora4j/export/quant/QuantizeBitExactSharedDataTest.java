package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufTensorInfo;
import io.lora4j.core.testing.SharedData;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** lora4j's quantizer against llama-quantize's own output: tensor by tensor, the same type and the same bytes. */
class QuantizeBitExactSharedDataTest {

    @ParameterizedTest
    @ValueSource(strings = {"F16", "Q8_0", "Q4_0", "Q4_K_M", "Q6_K"})
    void quantizedFileMatchesLlamaQuantize(String type, @TempDir Path tmp) throws Exception {
        Path out = tmp.resolve(type + ".gguf");
        GgufQuantizer.quantize(SharedData.file("reference/synth-a/f32.gguf"), out, QuantPreset.parse(type), 2);
        try (GgufFile ours = GgufFile.open(out); GgufFile ref = GgufFile.open(SharedData.file("reference/synth-a/" + type + ".gguf"))) {
            assertEquals(ref.tensors().size(), ours.tensors().size());
            StringBuilder mismatches = new StringBuilder();
            for (GgufTensorInfo r : ref.tensors()) {
                GgufTensorInfo o = ours.tensor(r.name()).orElseThrow(() -> new AssertionError("missing " + r.name()));
                if (o.type() != r.type()) {
                    mismatches.append(r.name()).append(": type ").append(o.type()).append(" vs llama.cpp ").append(r.type()).append('\n');
                    continue;
                }
                ByteBuffer a = ours.tensorBytes(o), b = ref.tensorBytes(r);
                int diff = 0, first = -1;
                for (int i = 0; i < b.limit(); i++) {
                    if (a.get(i) != b.get(i)) {
                        if (first < 0) first = i;
                        diff++;
                    }
                }
                if (diff > 0) mismatches.append(r.name()).append(" (").append(r.type()).append("): ").append(diff).append(" of ").append(b.limit())
                        .append(" bytes differ, first at byte ").append(first).append(" (block ").append(first / r.type().typeSize).append(")\n");
            }
            assertEquals("", mismatches.toString(), type);
            assertEquals(ref.metadata().getUInt32("general.file_type"), ours.metadata().getUInt32("general.file_type"));
        }
    }
}
