package io.lora4j.core.model;

import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * Where a loader gets the base weights from: float values of one tensor by its Hugging Face name,
 * row-major in PyTorch shape order, with Q/K rows already in Hugging Face (rotate-half) order.
 */
public interface WeightSource {

    /**
     * Values per part when a tensor is read a part of its rows at a time (16 MiB of fp32): the streaming writers and
     * the export's checks then hold a few such parts, not a 180 MiB 7B projection or a 500 MiB output matrix.
     */
    long PART_VALUES = 1L << 22;

    /** The tensor's values; {@code shape} is the PyTorch shape the caller expects (checked by the source). */
    float[] read(String hfName, long... shape) throws IOException;

    /**
     * A (rows, cols) matrix as the file stores it, for a frozen base: mapped ggml blocks or F16/BF16 rows where the
     * source can, else (this default) the fp32 values of {@link #read}. A stored type lora4j cannot expand is a
     * {@link ModelFormatException} naming the tensor and its type.
     */
    default FrozenWeight readStored(String hfName, long rows, long cols) throws IOException {
        float[] v = read(hfName, rows, cols);
        return new DenseWeight(org.nd4j.linalg.factory.Nd4j.create(v, new long[] {rows, cols}, 'c'));
    }

    /**
     * Rows {@code ids} of a (rows, cols) matrix as fp32, row-major in the order of {@code ids}, Hugging Face row order:
     * how a streaming export reads a tensor in parts and a check looks up embedding rows. This default reads the whole
     * tensor and copies the rows; a file source reads only those rows.
     */
    default float[] readRows(String hfName, long rows, long cols, int[] ids) throws IOException {
        checkRowIds(hfName, rows, ids);
        float[] all = read(hfName, rows, cols);
        int c = Math.toIntExact(cols);
        float[] out = new float[Math.multiplyExact(ids.length, c)];
        for (int i = 0; i < ids.length; i++) System.arraycopy(all, ids[i] * c, out, i * c, c);
        return out;
    }

    /** Rows [from, to): the ids of a part of a matrix, for {@link #readRows}. */
    static int[] rowRange(int from, int to) {
        return java.util.stream.IntStream.range(from, to).toArray();
    }

    /** Rows {@code ids[at .. at + n)}, stored one after another from row {@code first}. */
    @FunctionalInterface
    interface RowRun {
        void read(int first, int at, int n) throws IOException;
    }

    /**
     * Calls {@code run} for each longest run of {@code ids} whose stored rows ({@code storedRow[id]}, or the id itself
     * when {@code storedRow} is null) are consecutive, so a file source reads each run at once.
     */
    static void forEachRun(int[] ids, int[] storedRow, RowRun run) throws IOException {
        for (int i = 0; i < ids.length; ) {
            int first = storedRow == null ? ids[i] : storedRow[ids[i]], n = 1;
            while (i + n < ids.length && (storedRow == null ? ids[i + n] : storedRow[ids[i + n]]) == first + n) n++;
            run.read(first, i, n);
            i += n;
        }
    }

    /** Refuses a row id outside [0, rows), naming the tensor. */
    static void checkRowIds(String hfName, long rows, int[] ids) {
        for (int id : ids) {
            if (id < 0 || id >= rows) throw new IndexOutOfBoundsException("row " + id + " of tensor '" + hfName + "' with " + rows + " rows");
        }
    }

    /** Whether a tensor exists (e.g. {@code lm_head.weight} is absent when embeddings are tied). */
    boolean contains(String hfName);

    /**
     * Every tensor the source holds, by Hugging Face name (a name with no Hugging Face equivalent as stored), so a
     * loader can refuse tensors it would silently ignore; empty when the source cannot list them.
     */
    default Optional<Set<String>> tensorNames() {
        return Optional.empty();
    }

    /** A human-readable name of the source, used in error messages. */
    String describe();
}
