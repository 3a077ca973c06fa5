package io.lora4j.trainer.dist;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;

/**
 * Waits for an asynchronous collective (NCCL on a CUDA stream) without ever waiting forever: a dead or hung peer
 * makes NCCL spin on the GPU indefinitely, so instead of a blocking stream synchronize the caller polls completion,
 * the library's asynchronous error, and a deadline; on an error or at the deadline it aborts the communicator (which
 * releases the GPU work) and throws, and the gang restarts like after any other failure.
 */
final class CollectiveWatch {
    private CollectiveWatch() {}

    /**
     * @param done       true once the collective finished (e.g. cudaStreamQuery returned cudaSuccess)
     * @param asyncError the library's pending error code, 0 when none (ncclCommGetAsyncError)
     * @param describe   the text of an error code (ncclGetErrorString)
     * @param abort      aborts the communicator (ncclCommAbort); called once, before the exception is thrown
     */
    static void await(String what, int rank, Duration timeout, BooleanSupplier done, IntSupplier asyncError,
                      IntFunction<String> describe, Runnable abort) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 10_000; // from 10 µs, doubling to 1 ms: short collectives are seen at once, long ones cost little CPU
        while (!done.getAsBoolean()) {
            int error = asyncError.getAsInt();
            if (error != 0) {
                abort.run();
                throw new CommunicatorException("rank " + rank + ": " + what + " failed: " + describe.apply(error) + " (error " + error
                        + "); a peer probably died", null);
            }
            if (System.nanoTime() - deadline > 0) {
                abort.run();
                throw new CommunicatorTimeoutException("rank " + rank + ": " + what + " did not complete within " + timeout.toMillis()
                        + " ms; a peer is hung, dead or not calling the same collective", -1, null);
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(2 * pause, 1_000_000);
        }
    }
}
