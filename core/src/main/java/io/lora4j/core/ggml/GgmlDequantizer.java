package io.lora4j.core.ggml;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns stored ggml tensor bytes into floats (REFERENCE.md B.4–B.10 for the block layouts; {@link NonLinearBlocks} for IQ4_NL/IQ4_XS), with ggml's
 * dequantize_row_* arithmetic (same float operations in the same order, so the same floats).
 */
public final class GgmlDequantizer {
    /** Blocks copied per bulk read when the source has no accessible array (mapped files). */
    private static final int STAGED_BLOCKS = 256;

    private GgmlDequantizer() {}

    /** Whether {@link #dequantize} knows this type. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS -> true;
            default -> false;
        };
    }

    /**
     * Dequantizes {@code n} values (a multiple of the type's block size) starting at {@code src.position()}
     * into {@code dst[dstOffset..dstOffset+n)}. The buffer's position is advanced past the bytes read; its byte
     * order does not matter (ggml data is little-endian).
     */
    public static void dequantize(GgmlType type, ByteBuffer src, float[] dst, int dstOffset, int n) {
        if (!supports(type)) throw new UnsupportedOperationException("dequantization of " + type + " is not supported");
        if (n < 0 || n % type.blockSize != 0) {
            throw new IllegalArgumentException(type + ": " + n + " values is not a whole number of blocks of " + type.blockSize);
        }
        if (dstOffset < 0 || dstOffset > dst.length - n) {
            throw new IndexOutOfBoundsException(type + ": values [" + dstOffset + ", " + ((long) dstOffset + n) + ") outside an array of " + dst.length);
        }
        int blocks = n / type.blockSize;
        long bytes = (long) blocks * type.typeSize;
        if (src.remaining() < bytes) {
            throw new IllegalArgumentException(type + ": " + n + " values need " + bytes + " bytes at position " + src.position()
                    + " but only " + src.remaining() + " remain");
        }
        switch (type) {
            case F32, F16, BF16 -> floats(type, src, dst, dstOffset, n);
            default -> {
                if (src.hasArray()) {
                    int at = src.arrayOffset() + src.position();
                    decode(type, src.array(), at, blocks, dst, dstOffset);
                    src.position(src.position() + (int) bytes);
                } else {
                    byte[] staging = new byte[Math.min(blocks, STAGED_BLOCKS) * type.typeSize];
                    for (int b = 0; b < blocks; b += STAGED_BLOCKS) {
                        int k = Math.min(STAGED_BLOCKS, blocks - b);
                        src.get(staging, 0, k * type.typeSize);
                        decode(type, staging, 0, k, dst, dstOffset + b * type.blockSize);
                    }
                }
            }
        }
    }

    private static void floats(GgmlType type, ByteBuffer src, float[] dst, int off, int n) {
        ByteBuffer b = src.order() == ByteOrder.LITTLE_ENDIAN ? src : src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> b.asFloatBuffer().get(dst, off, n);
            case F16 -> { for (int i = 0; i < n; i++) dst[off + i] = Float16.halfToFloat(b.getShort(b.position() + 2 * i)); }
            default -> { for (int i = 0; i < n; i++) dst[off + i] = Float16.bf16ToFloat(b.getShort(b.position() + 2 * i)); }
        }
        src.position(src.position() + n * (type == GgmlType.F32 ? 4 : 2));
    }

    private static void decode(GgmlType type, byte[] b, int at, int blocks, float[] y, int yo) {
        for (int k = 0; k < blocks; k++, at += type.typeSize, yo += type.blockSize) {
            switch (type) {
                case Q8_0 -> LegacyBlocks.q8_0(b, at, y, yo);
                case Q4_0 -> LegacyBlocks.q4_0(b, at, y, yo);
                case Q4_1 -> LegacyBlocks.q4_1(b, at, y, yo);
                case Q5_0 -> LegacyBlocks.q5(b, at, y, yo, false);
                case Q5_1 -> LegacyBlocks.q5(b, at, y, yo, true);
                case Q2_K -> KBlocks.q2K(b, at, y, yo);
                case Q3_K -> KBlocks.q3K(b, at, y, yo);
                case Q4_K -> KBlocks.q45K(b, at, y, yo, false);
                case Q5_K -> KBlocks.q45K(b, at, y, yo, true);
                case Q6_K -> KBlocks.q6K(b, at, y, yo);
                case IQ4_NL -> NonLinearBlocks.iq4Nl(b, at, y, yo);
                case IQ4_XS -> NonLinearBlocks.iq4Xs(b, at, y, yo);
                default -> throw new AssertionError(type);
            }
        }
    }

    static float half(byte[] b, int at) {
        return Float16.halfToFloat((short) ((b[at] & 0xFF) | (b[at + 1] << 8)));
    }
}
