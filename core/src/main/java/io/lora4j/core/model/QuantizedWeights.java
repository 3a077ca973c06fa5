package io.lora4j.core.model;

import io.lora4j.core.ggml.GgmlQuantizer;
import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import java.util.stream.IntStream;

/** Quantizes a full-precision matrix at load into heap ggml blocks ({@code base_dtype: q8_0 | q4_0}). */
final class QuantizedWeights {
    private QuantizedWeights() {}

    static BlockWeight quantize(String name, float[] values, int rows, int cols, GgmlType type) throws ModelFormatException {
        if (cols % type.blockSize != 0) {
            throw new ModelFormatException("tensor '" + name + "' has rows of " + cols + " values, not a multiple of " + type + "'s block of "
                    + type.blockSize + ": it cannot be held as " + type + " (use base_dtype f16, bf16 or f32)");
        }
        int rowBytes = (int) type.rowBytes(cols);
        byte[] out = new byte[Math.multiplyExact(rows, rowBytes)];
        IntStream.range(0, rows).parallel().forEach(r -> GgmlQuantizer.quantize(type, values, r * cols, cols, out, r * rowBytes));
        return BlockWeight.of(name, type, rows, cols, ByteBuffer.wrap(out), null);
    }
}
