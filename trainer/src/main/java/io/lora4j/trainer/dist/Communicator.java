package io.lora4j.trainer.dist;

import java.io.IOException;

/**
 * Collective operations between the workers of one training gang. Every rank calls the same operations in the same
 * order. Implementations: {@link LocalCommunicator} (one worker) and {@link TcpRingCommunicator} (CPU clusters, tests);
 * an NCCL implementation for GPU clusters would plug in here.
 */
public interface Communicator extends AutoCloseable {

    int rank();

    int worldSize();

    /** Element-wise sum over all ranks, in place; every rank ends with bitwise identical values. */
    void allReduceSum(float[] buffer) throws IOException;

    /** Every rank's value, by rank (small control messages, e.g. adapter checksums). */
    long[] allGather(long value) throws IOException;

    @Override
    void close() throws IOException;
}
