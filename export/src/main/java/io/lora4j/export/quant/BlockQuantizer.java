package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;

/**
 * The shared part of every {@link Quantizer}: argument checks and the trip from blocks in a {@code byte[]} to the
 * destination buffer (written in place when it has an accessible array, else staged and bulk-put).
 */
abstract class BlockQuantizer implements Quantizer {
    /** Blocks staged per bulk put when the destination has no accessible array. */
    private static final int STAGED_BLOCKS = 64;

    private final GgmlType type;
    private byte[] staging;

    BlockQuantizer(GgmlType type) {
        this.type = type;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    /** Quantizes {@code nBlocks} consecutive blocks from {@code x[xo..]} into {@code out[oo..]}. */
    abstract void quantizeBlocks(float[] x, int xo, int nBlocks, byte[] out, int oo);

    @Override
    public final void quantizeRow(float[] src, int srcOff, int n, ByteBuffer dst) {
        if (n < 0 || n % type.blockSize != 0) {
            throw new IllegalArgumentException(type + ": row length " + n + " is not a multiple of the block size " + type.blockSize);
        }
        if (srcOff < 0 || srcOff > src.length - n) {
            throw new IndexOutOfBoundsException(type + ": values [" + srcOff + ", " + ((long) srcOff + n) + ") outside an array of " + src.length);
        }
        int blocks = n / type.blockSize;
        long bytes = (long) blocks * type.typeSize;
        if (dst.remaining() < bytes) {
            throw new IllegalArgumentException(type + ": " + n + " values need " + bytes + " bytes but the buffer has " + dst.remaining() + " left");
        }
        if (dst.hasArray()) {
            int at = dst.arrayOffset() + dst.position();
            quantizeBlocks(src, srcOff, blocks, dst.array(), at);
            dst.position(dst.position() + (int) bytes);
            return;
        }
        if (staging == null) staging = new byte[STAGED_BLOCKS * type.typeSize];
        for (int b = 0; b < blocks; b += STAGED_BLOCKS) {
            int k = Math.min(STAGED_BLOCKS, blocks - b);
            quantizeBlocks(src, srcOff + b * type.blockSize, k, staging, 0);
            dst.put(staging, 0, k * type.typeSize);
        }
    }
}
