package io.lora4j.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A frozen base matrix (rows, cols) — a projection, the output matrix or the embedding — held the way it is stored
 * (fp32, fp16, bf16 or ggml blocks such as Q8_0, Q4_K) and expanded to the compute type only for the gemm that needs
 * it, into a buffer reused by every projection ({@link WeightScratch}).
 *
 * <p>Device backends: {@link #expandInto} receives an array of the running ND4J backend. An implementation must fill
 * it with ND4J ops when the backend keeps arrays on a device, so expansion runs there without a host round trip;
 * {@link BlockWeight} picks its {@link BlockWeight.Expander} per backend for this.
 */
public interface FrozenWeight {

    long rows();

    long cols();

    /** How it is stored, as a ggml type name: F32, F16, BF16, Q8_0, Q4_K, … (F64 in gradient checks). */
    String storage();

    /** Bytes the stored form takes (mapped file pages or heap/off-heap memory). */
    long storedBytes();

    /** Writes every value, converted to {@code dst}'s type, into {@code dst}: (rows, cols), 'c' order, contiguous. */
    void expandInto(INDArray dst);

    /** Rows {@code ids} as a fresh (ids.length, cols) array of {@code type} (embedding lookups). */
    INDArray rows(int[] ids, DataType type);

    /**
     * Rows [from, to) as a weight of their own, sharing the stored values (no copy): the output matrix is expanded a
     * slice of the vocabulary at a time ({@link CausalLmLoss}).
     */
    FrozenWeight rowSlice(long from, long to);

    /** The stored array itself when it is already a dense array of {@code type} (no copy needed), else null. */
    default INDArray denseAs(DataType type) {
        return null;
    }

    /** A fresh, caller-owned dense copy in {@code type} (merges, exports, full fine-tuning). */
    default INDArray toDense(DataType type) {
        INDArray out = org.nd4j.linalg.factory.Nd4j.createUninitializedDetached(type, rows(), cols());
        expandInto(out);
        return out;
    }
}
