package io.lora4j.trainer.dist;

import java.nio.ByteBuffer;
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
    private final ByteBuffer bytes;

    private HostFloats(INDArray array, ByteBuffer bytes) {
        this.array = array;
        this.bytes = bytes;
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
        ByteBuffer all = array.data().asNio();
        int from = Math.toIntExact(array.offset()) * Float.BYTES;
        ByteBuffer view = all.slice(from, (int) array.length() * Float.BYTES).order(ByteOrder.nativeOrder());
        return new HostFloats(array, view);
    }

    /** The elements as floats (index 0 = the array's first element). */
    FloatBuffer buffer() {
        return bytes.asFloatBuffer();
    }

    /** The same memory as bytes in native order, so a socket can read and write it without a copy. */
    ByteBuffer bytes() {
        return bytes.duplicate().order(bytes.order());
    }

    @Override
    public void close() {
        Nd4j.getAffinityManager().tagLocation(array, AffinityManager.Location.HOST);
    }
}
