package io.lora4j.trainer.dist;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The host memory of a contiguous FLOAT {@link INDArray} as a {@link FloatBuffer} covering exactly its elements, so
 * the ring reads and writes ND4J's buffer without copying it to a float[]. On a CUDA backend the data is synced to the
 * host first and marked host-modified on close, so the device copy is refreshed on next use.
 */
final class HostFloats implements AutoCloseable {
    private final INDArray array;
    private final FloatBuffer buffer;

    private HostFloats(INDArray array, FloatBuffer buffer) {
        this.array = array;
        this.buffer = buffer;
    }

    static HostFloats of(INDArray array) {
        if (array.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("all-reduce needs a FLOAT array, got " + array.dataType()
                    + " with shape " + java.util.Arrays.toString(array.shape()));
        }
        if (array.length() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("all-reduce of " + array.length() + " elements exceeds " + Integer.MAX_VALUE
                    + "; split the buffer");
        }
        if (array.length() > 1 && array.elementWiseStride() != 1) {
            throw new IllegalArgumentException("all-reduce needs a contiguous array (element-wise stride 1), got stride "
                    + array.elementWiseStride() + " for shape " + java.util.Arrays.toString(array.shape()) + "; pass dup()");
        }
        Nd4j.getAffinityManager().ensureLocation(array, AffinityManager.Location.HOST);
        FloatBuffer all = array.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
        int from = Math.toIntExact(array.offset());
        FloatBuffer view = all.position(from).limit(from + (int) array.length()).slice();
        return new HostFloats(array, view);
    }

    FloatBuffer buffer() {
        return buffer;
    }

    @Override
    public void close() {
        Nd4j.getAffinityManager().tagLocation(array, AffinityManager.Location.HOST);
    }
}
