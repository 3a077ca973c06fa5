package io.lora4j.core.safetensors;

import io.lora4j.core.ggml.Float16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor to write: dtype, PyTorch-order shape and exactly shape × dtype size little-endian bytes (checked).
 * The buffer is read, not copied, when the file is written.
 */
public record SafetensorsData(SafetensorsDType dtype, long[] shape, ByteBuffer data) {

    public SafetensorsData {
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        long n = dtype.byteSize(shape);
        if (data.remaining() != n) {
            throw new IllegalArgumentException(data.remaining() + " bytes given, shape " + Arrays.toString(shape) + " of " + dtype + " needs " + n);
        }
        data = data.duplicate();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public ByteBuffer data() {
        return data.duplicate();
    }

    public long byteSize() {
        return data.remaining();
    }

    public static SafetensorsData f32(long[] shape, float[] values) {
        return floats(shape, values, SafetensorsDType.F32);
    }

    /** Floats stored as F32, or rounded to nearest even as F16 or BF16. */
    public static SafetensorsData floats(long[] shape, float[] values, SafetensorsDType dtype) {
        if (!dtype.isFloat()) throw new IllegalArgumentException("floats are stored as F32, F16 or BF16, not " + dtype);
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, dtype.size)).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> b.asFloatBuffer().put(values);
            case F16 -> { for (float v : values) b.putShort(Float16.floatToHalf(v)); }
            default -> { for (float v : values) b.putShort(Float16.floatToBf16(v)); }
        }
        return new SafetensorsData(dtype, shape, b.rewind());
    }
}
