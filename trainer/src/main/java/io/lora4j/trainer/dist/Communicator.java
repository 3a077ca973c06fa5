package io.lora4j.trainer.dist;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Collective operations among the {@link #worldSize()} ranks of one training gang. Every rank must call the same
 * collectives in the same order with the same lengths; a rank that does not (or stops answering) makes the others fail
 * with a {@link CommunicatorException} instead of hanging.
 *
 * <p>Contract of {@link #allReduceSum}: afterwards every rank holds the element-wise sum over ranks, bitwise identical
 * on every rank, and the same bits run to run for the same inputs and world size. The summation order is the
 * implementation's (it may differ from a sequential sum in the last bits).
 *
 * <p>The fused-gradient entry point is {@link #allReduceSum(INDArray)}: an implementation that works on device memory
 * (NCCL) overrides it; the default reads and writes the array's host buffer in place.
 */
public interface Communicator extends AutoCloseable {

    int rank();

    int worldSize();

    /** Sums {@code buf[offset, offset+length)} over all ranks, in place. */
    void allReduceSum(float[] buf, int offset, int length);

    default void allReduceSum(float[] buf) {
        allReduceSum(buf, 0, buf.length);
    }

    /** Sums the elements between the buffer's position and limit over all ranks, in place (heap or direct). */
    void allReduceSum(FloatBuffer buf);

    /** Sums a contiguous FLOAT array over all ranks, in place (e.g. the adapter's flat gradient buffer). */
    default void allReduceSum(INDArray flat) {
        if (worldSize() == 1) return;
        try (HostFloats host = HostFloats.of(flat)) {
            allReduceSum(host.buffer());
        }
    }

    /** Every rank's {@code message}, indexed by rank. For small control messages (checksums, cursors, flags). */
    byte[][] allGather(byte[] message);

    default long[] allGatherLong(long value) {
        byte[][] all = allGather(Bytes.ofLong(value));
        long[] out = new long[all.length];
        for (int r = 0; r < all.length; r++) out[r] = Bytes.toLong(all[r], r);
        return out;
    }

    /** Rank {@code root}'s message on every rank; the argument is ignored on the other ranks (may be null there). */
    byte[] broadcast(int root, byte[] message);

    /** Returns once every rank has entered it. */
    void barrier();

    /** Releases sockets and threads; idempotent. A peer still inside a collective sees its connection closed. */
    @Override
    void close();
}
