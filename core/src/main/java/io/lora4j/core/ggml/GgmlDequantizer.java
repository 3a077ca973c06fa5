package io.lora4j.core.ggml;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Turns stored ggml tensor bytes into floats (REFERENCE.md B.4–B.10 for the block layouts). */
public final class GgmlDequantizer {
    private GgmlDequantizer() {}

    /**
     * Dequantizes {@code n} values (a multiple of the type's block size) starting at {@code src.position()}
     * into {@code dst[dstOffset..dstOffset+n)}. The buffer's position is advanced past the bytes read.
     */
    public static void dequantize(GgmlType type, ByteBuffer src, float[] dst, int dstOffset, int n) {
        ByteBuffer b = src.order() == ByteOrder.LITTLE_ENDIAN ? src : src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) dst[dstOffset + i] = b.getFloat();
            }
            case F16 -> {
                for (int i = 0; i < n; i++) dst[dstOffset + i] = Float16.halfToFloat(b.getShort());
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst[dstOffset + i] = Float16.bf16ToFloat(b.getShort());
            }
            default -> throw new UnsupportedOperationException("dequantization of " + type + " is not implemented yet");
        }
        if (b != src) src.position(b.position());
    }
}
