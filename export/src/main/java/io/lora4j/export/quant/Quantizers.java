package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Finds the {@link Quantizer} for a ggml type and quantizes whole tensors, multi-threaded over rows. Blocks are
 * independent and each thread owns a contiguous range of rows and its own quantizer, so the bytes are the same for
 * any thread count.
 */
public final class Quantizers {
    private Quantizers() {}

    /** The types lora4j can write. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS -> true;
            default -> false;
        };
    }

    /** A fresh quantizer (it keeps scratch arrays: one per thread). */
    public static Quantizer forType(GgmlType type) {
        return switch (type) {
            case F32 -> new FloatQuantizers.F32();
            case F16 -> new FloatQuantizers.F16();
            case BF16 -> new FloatQuantizers.BF16();
            case Q8_0 -> new LegacyQuantizers.Q8_0();
            case Q4_0 -> new LegacyQuantizers.Q4_0();
            case Q4_1 -> new LegacyQuantizers.Q4_1();
            case Q5_0 -> new LegacyQuantizers.Q5_0();
            case Q5_1 -> new LegacyQuantizers.Q5_1();
            case Q2_K -> new Q2KQuantizer();
            case Q3_K -> new Q3KQuantizer();
            case Q4_K -> Q45KQuantizer.q4K();
            case Q5_K -> Q45KQuantizer.q5K();
            case Q6_K -> new Q6KQuantizer();
            case IQ4_NL -> Iq4Quantizer.nl(null);
            case IQ4_XS -> Iq4Quantizer.xs(null);
            default -> throw new IllegalArgumentException("lora4j cannot quantize to " + type
                    + " (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS)");
        };
    }

    /**
     * A fresh quantizer that uses an importance matrix as llama-quantize --imatrix does: {@code columnWeights}
     * holds one weight per column (rows must be that long). Null, and the types that ignore the matrix in
     * llama.cpp (the float types, Q8_0), give {@link #forType(GgmlType)}'s quantizer.
     */
    public static Quantizer forType(GgmlType type, float[] columnWeights) {
        if (columnWeights == null) return forType(type);
        return switch (type) {
            case F32, F16, BF16, Q8_0 -> forType(type);
            case Q4_0, Q4_1, Q5_0, Q5_1 -> WeightedLegacyQuantizers.forType(type, columnWeights);
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> WeightedKQuantizers.forType(type, columnWeights);
            case IQ4_NL -> Iq4Quantizer.nl(columnWeights);
            case IQ4_XS -> Iq4Quantizer.xs(columnWeights);
            default -> throw new IllegalArgumentException("lora4j cannot quantize to " + type + " with an importance matrix");
        };
    }

    /**
     * Quantizes {@code nRows} rows of {@code rowLen} values (row-major, ne[0] = rowLen) into a little-endian heap
     * buffer of {@code nRows · type.rowBytes(rowLen)} bytes, using up to {@code threads} threads.
     */
    public static ByteBuffer quantize(float[] data, int nRows, int rowLen, GgmlType type, int threads) {
        return quantize(data, nRows, rowLen, type, threads, null);
    }

    /** As {@link #quantize(float[], int, int, GgmlType, int)}, with one importance weight per column (or null). */
    public static ByteBuffer quantize(float[] data, int nRows, int rowLen, GgmlType type, int threads, float[] columnWeights) {
        if (columnWeights != null && columnWeights.length != rowLen) {
            throw new IllegalArgumentException(type + ": the importance matrix has " + columnWeights.length + " weights for rows of " + rowLen + " values");
        }
        if (nRows < 0 || rowLen < 0 || (long) nRows * rowLen != data.length) {
            throw new IllegalArgumentException(nRows + " rows of " + rowLen + " values do not match an array of " + data.length);
        }
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        long rowBytes = type.rowBytes(rowLen);
        long total = rowBytes * nRows;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(type + ": " + nRows + "x" + rowLen + " quantizes to " + total + " bytes, more than one Java array holds");
        }
        byte[] out = new byte[(int) total];
        quantizeInto(data, nRows, rowLen, type, threads, columnWeights, out);
        return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The same into a caller's buffer of at least {@code nRows · type.rowBytes(rowLen)} bytes (a benchmark reuses one,
     * as ggml's does: allocating and zeroing the output runs on one thread and would be timed as serial work).
     */
    public static void quantizeInto(float[] data, int nRows, int rowLen, GgmlType type, int threads, float[] columnWeights, byte[] out) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        if ((long) nRows * rowLen != data.length || out.length < type.rowBytes(rowLen) * nRows) {
            throw new IllegalArgumentException(nRows + " rows of " + rowLen + " values: input of " + data.length + " or output of " + out.length + " bytes does not fit");
        }
        int t = Math.max(1, Math.min(threads, nRows));
        if (t == 1) {
            quantizeRows(data, rowLen, type, columnWeights, out, 0, nRows);
        } else {
            runParallel(data, rowLen, type, columnWeights, out, nRows, t);
        }
    }

    private static void runParallel(float[] data, int rowLen, GgmlType type, float[] columnWeights, byte[] out, int nRows, int t) {
        ExecutorService pool = Executors.newFixedThreadPool(t, r -> {
            Thread th = new Thread(r, "lora4j-quantize");
            th.setDaemon(true);
            return th;
        });
        try {
            List<Future<?>> parts = new ArrayList<>(t);
            for (int k = 0; k < t; k++) {
                int from = (int) ((long) nRows * k / t), to = (int) ((long) nRows * (k + 1) / t);
                parts.add(pool.submit(() -> quantizeRows(data, rowLen, type, columnWeights, out, from, to)));
            }
            for (Future<?> f : parts) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while quantizing to " + type, e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            throw new IllegalStateException("quantizing to " + type + " failed", c);
        } finally {
            pool.shutdownNow();
        }
    }

    private static void quantizeRows(float[] data, int rowLen, GgmlType type, float[] columnWeights, byte[] out, int from, int to) {
        Quantizer q = forType(type, columnWeights);
        int rowBytes = (int) type.rowBytes(rowLen);
        ByteBuffer dst = ByteBuffer.wrap(out, from * rowBytes, (to - from) * rowBytes);
        for (int r = from; r < to; r++) q.quantizeRow(data, r * rowLen, rowLen, dst);
    }
}
