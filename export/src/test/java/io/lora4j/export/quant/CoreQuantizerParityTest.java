package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.GgmlQuantizer;
import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Core keeps its own Q8_0/Q4_0 quantizers (for {@code base_dtype: q8_0 | q4_0}; core cannot depend on export): they must
 * write exactly the bytes of the export module's quantizers, which are checked bit-exact against ggml.
 */
class CoreQuantizerParityTest {

    @Test
    void coreQ8AndQ4WriteTheExportQuantizersBytes() {
        for (GgmlType type : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0}) {
            for (String family : ReferenceInputs.FAMILIES) {
                float[] x = ReferenceInputs.family(family);
                ByteBuffer want = Quantizers.quantize(x, ReferenceInputs.ROWS, ReferenceInputs.ROW_LEN, type, 1);
                byte[] got = new byte[want.remaining()];
                GgmlQuantizer.quantize(type, x, 0, x.length, got, 0);
                byte[] expected = new byte[want.remaining()];
                want.get(expected);
                assertArrayEquals(expected, got, type + " on the '" + family + "' inputs");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> GgmlQuantizer.quantize(GgmlType.Q4_K, new float[256], 0, 256, new byte[144], 0));
    }
}
