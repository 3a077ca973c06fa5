package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;

/**
 * A {@link Quantizer} that may use an importance matrix: one weight per column of the tensor (llama.cpp's
 * quant_weights; null quantizes without one). Rows must then be exactly as long as the weights. Like
 * {@link BlockQuantizer} it writes blocks straight into the destination's array when it has one.
 */
abstract class WeightedBlockQuantizer implements Quantizer {
    private final GgmlType type;
    /** Per-column importance, or null. */
    private final float[] columnWeights;
    private byte[] staging;

    WeightedBlockQuantizer(GgmlType type, float[] columnWeights) {
        this.type = type;
        this.columnWeights = columnWeights;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    /**
     * Quantizes {@code nBlocks} blocks from {@code x[xo..]} into {@code out[oo..]}; {@code qw[qwo..]} are the
     * importance weights of those values (qw null: none).
     */
    abstract void quantizeBlocks(float[] x, int xo, float[] qw, int qwo, int nBlocks, byte[] out, int oo);

    @Override
    public final void quantizeRow(float[] src, int srcOff, int n, ByteBuffer dst) {
        if (n < 0 || n % type.blockSize != 0) {
            throw new IllegalArgumentException(type + ": row length " + n + " is not a multiple of the block size " + type.blockSize);
        }
        if (columnWeights != null && columnWeights.length != n) {
            throw new IllegalArgumentException(type + ": the importance matrix has " + columnWeights.length + " weights for rows of " + n + " values");
        }
        if (srcOff < 0 || srcOff > src.length - n) {
            throw new IndexOutOfBoundsException(type + ": values [" + srcOff + ", " + ((long) srcOff + n) + ") outside an array of " + src.length);
        }
        int blocks = n / type.blockSize;
        int bytes = blocks * type.typeSize;
        if (dst.remaining() < bytes) {
            throw new IllegalArgumentException(type + ": " + n + " values need " + bytes + " bytes but the buffer has " + dst.remaining() + " left");
        }
        if (dst.hasArray()) {
            quantizeBlocks(src, srcOff, columnWeights, 0, blocks, dst.array(), dst.arrayOffset() + dst.position());
        } else {
            if (staging == null || staging.length < bytes) staging = new byte[bytes];
            quantizeBlocks(src, srcOff, columnWeights, 0, blocks, staging, 0);
            dst.put(staging, 0, bytes);
            return;
        }
        dst.position(dst.position() + bytes);
    }
}
