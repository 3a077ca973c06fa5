package io.lora4j.core.model;

import java.util.EnumMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The one buffer per thread (and compute type) that frozen weights are expanded into right before a gemm, so a base
 * held in fp16 or Q4_0 costs its stored size plus one expanded matrix (the largest), not a full fp32 copy. It lives
 * outside every workspace and grows to the largest matrix seen.
 */
public final class WeightScratch {
    private static final ThreadLocal<Map<DataType, INDArray>> BUFFERS = ThreadLocal.withInitial(() -> new EnumMap<>(DataType.class));

    /** Nanoseconds this process spent expanding (all threads), for the benchmarks' breakdown. */
    private static final java.util.concurrent.atomic.AtomicLong EXPANSION_NANOS = new java.util.concurrent.atomic.AtomicLong();

    private WeightScratch() {}

    /**
     * {@code w} as a dense (rows, cols) array of {@code type}: the stored array itself when it already is one, else
     * this thread's scratch filled with the expansion. Valid until the next call on this thread.
     */
    public static INDArray expand(FrozenWeight w, DataType type) {
        INDArray dense = w.denseAs(type);
        if (dense != null) return dense;
        long t0 = System.nanoTime();
        INDArray view = view(type, w.rows(), w.cols());
        w.expandInto(view);
        EXPANSION_NANOS.addAndGet(System.nanoTime() - t0);
        return view;
    }

    /** This thread's scratch of {@code type} as a (rows, cols) 'c' view at offset 0. */
    static INDArray view(DataType type, long rows, long cols) {
        long n = rows * cols;
        Map<DataType, INDArray> m = BUFFERS.get();
        INDArray flat = m.get(type);
        if (flat == null || flat.length() < n) {
            m.remove(type); // let the old one go before allocating the larger one
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                flat = Nd4j.createUninitializedDetached(type, n);
            }
            m.put(type, flat);
        }
        INDArray part = flat.length() == n ? flat : flat.get(NDArrayIndex.interval(0, n));
        return part.reshape('c', rows, cols);
    }

    /** Seconds spent in {@link #expand} so far (a process-wide total). */
    public static double expansionSeconds() {
        return EXPANSION_NANOS.get() / 1e9;
    }

    /** Elements of this thread's scratch buffers (for memory reports). */
    public static long elements() {
        return BUFFERS.get().values().stream().mapToLong(INDArray::length).sum();
    }
}
