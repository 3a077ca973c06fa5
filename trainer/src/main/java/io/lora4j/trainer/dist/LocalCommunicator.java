package io.lora4j.trainer.dist;

import java.nio.FloatBuffer;
import java.util.Objects;

/** World size 1: every collective is the identity. Used for single-worker runs so the trainer has one code path. */
public final class LocalCommunicator implements Communicator {
    private volatile boolean closed;

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public int worldSize() {
        return 1;
    }

    @Override
    public void allReduceSum(float[] buf, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, buf.length);
        checkOpen();
    }

    @Override
    public void allReduceSum(FloatBuffer buf) {
        Objects.requireNonNull(buf, "buf");
        checkOpen();
    }

    @Override
    public byte[][] allGather(byte[] message) {
        checkOpen();
        return new byte[][] {message.clone()};
    }

    @Override
    public byte[] broadcast(int root, byte[] message) {
        checkOpen();
        if (root != 0) throw new IllegalArgumentException("root " + root + " is not a rank of a world of size 1");
        return message.clone();
    }

    @Override
    public void barrier() {
        checkOpen();
    }

    @Override
    public void close() {
        closed = true;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("communicator is closed");
    }
}
