package io.lora4j.core.compute;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Caps the CPU threads ND4J uses: libnd4j's thread pool and OpenMP regions, and the BLAS library. A Spark task that
 * trains must use only the cores Spark gave it ({@code spark.task.cpus}); left at the process default (all cores,
 * or OMP_NUM_THREADS) two tasks of one executor oversubscribe the cores, which measured slower with two workers than
 * with one (bench train --workers 2).
 */
public final class ComputeThreads {
    private ComputeThreads() {}

    /** Limits ND4J to {@code threads} compute threads; returns a line saying so, for the task's log. */
    public static String limitTo(int threads) {
        if (threads < 1) throw new IllegalArgumentException("compute threads must be >= 1, got " + threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.getEnvironment().setMaxThreads(threads);
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads); // this thread's OpenMP regions
        try {
            Nd4j.factory().blas().setMaxThreads(threads); // OpenBLAS/MKL, process-wide
        } catch (UnsupportedOperationException e) {
            return threads + " compute thread(s) for ND4J ops (the BLAS of this backend keeps its own setting)";
        }
        return threads + " compute thread(s) for ND4J ops and BLAS";
    }
}
