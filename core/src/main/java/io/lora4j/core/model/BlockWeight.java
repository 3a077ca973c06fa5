package io.lora4j.core.model;

import io.lora4j.core.ggml.GgmlDequantizer;
import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A frozen matrix held as ggml rows — F16, BF16 or quantized blocks — in byte buffers that are usually read-only
 * mappings of the model file (so the OS shares and pages them) or heap bytes when lora4j quantized the base itself.
 * Rows run along ne[0] (the input features), so each row dequantizes on its own; {@code rowSource} maps a Hugging
 * Face row to the stored row (llama.cpp's Q/K permutation), so no re-ordered copy is ever made.
 *
 * <p>Expansion goes through an {@link Expander}. On the CPU backend it is {@link #HOST}: ggml's dequantize_row_*
 * arithmetic over row ranges in parallel, written straight into the destination's memory. A device backend (CUDA)
 * must instead keep the bytes as a UINT8 device array and expand with ND4J ops (split scales and codes with
 * reshapes/bitcasts, split the nibbles, multiply), so no host loop touches device memory: {@link Nd4jBlockExpander}
 * does this for Q8_0, Q4_0, F16 and BF16 and is selected in {@link #expanderFor}. The other types still expand on the
 * host on every backend (ND4J then copies the filled host buffer to the device: a host round trip per expansion).
 */
public final class BlockWeight implements FrozenWeight {
    /** Rows dequantized per task of the parallel host expansion. */
    private static final int ROWS_PER_TASK = 16;

    /**
     * Each thread's staging rows, reused: a new array per task made ~180 MB of garbage per 7B expansion (hundreds per
     * step) and, at 704 KB for the down projection, G1 humongous objects: a 7B Q4_0 step peaked at 6252 MiB, 5588 with this.
     */
    private static final ThreadLocal<float[]> STAGE = ThreadLocal.withInitial(() -> new float[0]);

    /** Fills a dense destination from the stored rows. */
    public interface Expander {
        void expand(BlockWeight w, INDArray dst);
    }

    /** Dequantizes on the CPU into the destination's host memory (the CPU backend's arrays). */
    public static final Expander HOST = BlockWeight::expandOnHost;

    private final String name;
    private final GgmlType type;
    private final long rows, cols;
    private final ByteBuffer[] parts; // row-aligned pieces (a mapping holds at most 2 GiB)
    private final long rowsPerPart;
    private final int[] rowSource;    // null: row r is stored row r
    private final Expander expander;

    /**
     * @param name        the tensor's name, for messages
     * @param parts       little-endian bytes of consecutive stored rows, each part {@code rowsPerPart} rows (the last fewer)
     * @param rowSource   for each row, the stored row holding it; null for the identity
     */
    public BlockWeight(String name, GgmlType type, long rows, long cols, ByteBuffer[] parts, long rowsPerPart, int[] rowSource) {
        if (!GgmlDequantizer.supports(type)) {
            throw new IllegalArgumentException("tensor '" + name + "' is stored as " + type + ", which lora4j cannot expand"
                    + " (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)");
        }
        long rowBytes = type.rowBytes(cols);
        long covered = 0;
        for (ByteBuffer p : parts) covered += p.remaining() / rowBytes;
        if (covered != rows || rowSource != null && rowSource.length != rows) {
            throw new IllegalArgumentException("tensor '" + name + "': " + parts.length + " parts hold " + covered + " rows of " + rowBytes
                    + " bytes, expected " + rows);
        }
        this.name = name;
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        this.parts = parts;
        this.rowsPerPart = rowsPerPart;
        this.rowSource = rowSource;
        this.expander = expanderFor(type);
    }

    /** One buffer holding all rows in order. */
    public static BlockWeight of(String name, GgmlType type, long rows, long cols, ByteBuffer bytes, int[] rowSource) {
        return new BlockWeight(name, type, rows, cols, new ByteBuffer[] {bytes.order(ByteOrder.LITTLE_ENDIAN)}, rows, rowSource);
    }

    /** System property choosing the expander: auto (ND4J ops on a device backend, host on the CPU), nd4j or host. */
    public static final String EXPAND_PROPERTY = "lora4j.expand";

    /**
     * The expander for this backend and type: {@link Nd4jBlockExpander} (ND4J ops, so on CUDA the expansion runs on
     * the device) for the types it handles when the backend is not the CPU or {@code -Dlora4j.expand=nd4j} asks for
     * it; else {@link #HOST} (also for the other quantized types, which have no ND4J-op form yet).
     */
    static Expander expanderFor(GgmlType type) {
        String mode = System.getProperty(EXPAND_PROPERTY, "auto");
        boolean nd4j = switch (mode) {
            case "nd4j" -> true;
            case "host" -> false;
            case "auto" -> !Nd4j.getEnvironment().isCPU();
            default -> throw new IllegalArgumentException("-D" + EXPAND_PROPERTY + "=" + mode + ": expected auto, nd4j or host");
        };
        return nd4j && Nd4jBlockExpander.supports(type) ? Nd4jBlockExpander.INSTANCE : HOST;
    }

    /** The expander this weight uses. */
    public Expander expander() {
        return expander;
    }

    private final Object deviceLock = new Object();
    private volatile Object deviceCopy; // what a device expander made of the stored bytes, kept for every later expansion

    /** The device expander's copy of this weight: made by {@code make} on first use, then shared by all threads. */
    @SuppressWarnings("unchecked")
    <T> T deviceCopy(java.util.function.Function<BlockWeight, T> make) {
        Object c = deviceCopy;
        if (c == null) {
            synchronized (deviceLock) {
                c = deviceCopy;
                if (c == null) deviceCopy = c = make.apply(this);
            }
        }
        return (T) c;
    }

    /** Copies the stored bytes of row {@code r} (in the Hugging Face order: through {@code rowSource}) to {@code out[off..]}. */
    void copyRowBytes(long r, byte[] out, int off) {
        long s = stored(r);
        ByteBuffer p = parts[(int) (s / rowsPerPart)];
        int rowBytes = (int) type.rowBytes(cols);
        p.duplicate().position((int) ((s % rowsPerPart) * rowBytes)).get(out, off, rowBytes);
    }

    public String name() {
        return name;
    }

    public GgmlType type() {
        return type;
    }

    @Override
    public long rows() {
        return rows;
    }

    @Override
    public long cols() {
        return cols;
    }

    @Override
    public String storage() {
        return type.name();
    }

    @Override
    public long storedBytes() {
        return rows * type.rowBytes(cols);
    }

    @Override
    public void expandInto(INDArray dst) {
        if (dst.rank() != 2 || dst.size(0) != rows || dst.size(1) != cols || dst.ordering() != 'c' || !dst.isView() && dst.length() != rows * cols) {
            throw new IllegalArgumentException("tensor '" + name + "': cannot expand (" + rows + ", " + cols + ") into " + dst.shapeInfoToString());
        }
        expander.expand(this, dst);
    }

    /** Rows [from, to) over the same bytes (views of the mapping); only for a weight stored in row order. */
    @Override
    public FrozenWeight rowSlice(long from, long to) {
        if (from < 0 || to > rows || from >= to) throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") of tensor '" + name + "' with " + rows + " rows");
        if (rowSource != null) throw new UnsupportedOperationException("tensor '" + name + "': a slice of a row-permuted weight");
        long rowBytes = type.rowBytes(cols);
        java.util.List<ByteBuffer> out = new java.util.ArrayList<>();
        for (long r = from; r < to; ) {
            int part = (int) (r / rowsPerPart);
            long inPart = r % rowsPerPart, n = Math.min(to - r, rowsPerPart - inPart);
            ByteBuffer b = parts[part].duplicate();
            b.position((int) (inPart * rowBytes)).limit((int) ((inPart + n) * rowBytes));
            out.add(b.slice().order(ByteOrder.LITTLE_ENDIAN));
            r += n;
        }
        // every piece but the last is whole rows of one part; BlockWeight needs equal pieces, so one piece per part
        if (out.size() == 1) return new BlockWeight(name + "[" + from + ":" + to + "]", type, to - from, cols, out.toArray(new ByteBuffer[0]), to - from, null);
        ByteBuffer joined = ByteBuffer.allocate(Math.toIntExact((to - from) * rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
        for (ByteBuffer b : out) joined.put(b);
        return new BlockWeight(name + "[" + from + ":" + to + "]", type, to - from, cols, new ByteBuffer[] {joined.flip()}, to - from, null);
    }

    /** Dequantizes stored row {@code stored} into {@code out[off..off+cols)}. */
    void dequantizeRow(long stored, float[] out, int off) {
        ByteBuffer p = parts[(int) (stored / rowsPerPart)];
        long rowBytes = type.rowBytes(cols);
        ByteBuffer row = p.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        row.position((int) ((stored % rowsPerPart) * rowBytes));
        GgmlDequantizer.dequantize(type, row, out, off, (int) cols);
    }

    private long stored(long r) {
        return rowSource == null ? r : rowSource[(int) r];
    }

    @Override
    public INDArray rows(int[] ids, DataType type) {
        float[] v = new float[Math.multiplyExact(ids.length, (int) cols)];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= rows) throw new IndexOutOfBoundsException("row " + ids[i] + " of tensor '" + name + "' with " + rows + " rows");
            dequantizeRow(stored(ids[i]), v, i * (int) cols);
        }
        INDArray a = Nd4j.create(v, new long[] {ids.length, cols}, 'c');
        return type == DataType.FLOAT ? a : a.castTo(type);
    }

    /**
     * CPU expansion: row ranges in parallel, each dequantized into a small float staging array and put into the
     * destination's memory (an fp32 destination is written directly; another type goes through fp32 then a cast).
     */
    private static void expandOnHost(BlockWeight w, INDArray dst) {
        if (dst.dataType() != DataType.FLOAT) {
            INDArray f = Nd4j.createUninitialized(DataType.FLOAT, w.rows, w.cols);
            expandOnHost(w, f);
            dst.assign(f);
            return;
        }
        Pointer address = dst.data().addressPointer();
        long base = dst.offset();
        int cols = (int) w.cols;
        int tasks = (int) ((w.rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK);
        IntStream.range(0, tasks).parallel().forEach(t -> {
            long r0 = (long) t * ROWS_PER_TASK, r1 = Math.min(w.rows, r0 + ROWS_PER_TASK);
            int n = (int) (r1 - r0) * cols;
            float[] stage = STAGE.get();
            if (stage.length < n) STAGE.set(stage = new float[ROWS_PER_TASK * cols]);
            for (long r = r0; r < r1; r++) w.dequantizeRow(w.stored(r), stage, (int) (r - r0) * cols);
            new FloatPointer(address).position(base + r0 * cols).put(stage, 0, n); // own position per task
        });
    }
}
