package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;

/**
 * Turns floats into the bytes of one ggml tensor type, identical to ggml's reference quantizers
 * ({@code quantize_row_*_ref}, what llama-quantize runs without an importance matrix; REFERENCE.md B).
 * Instances keep scratch arrays: use one per thread ({@link Quantizers#forType} makes a fresh one).
 */
public interface Quantizer {
    GgmlType type();

    /**
     * Quantizes {@code src[srcOff .. srcOff+n)} ({@code n} a multiple of the type's block size) and writes
     * {@code type().rowBytes(n)} bytes at {@code dst}'s position, advancing it. Multi-byte fields are written
     * little-endian whatever the buffer's byte order.
     */
    void quantizeRow(float[] src, int srcOff, int n, ByteBuffer dst);
}
