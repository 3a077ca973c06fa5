package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Quantizes float rows to any supported ggml type, multi-threaded over rows (blocks are independent: same bytes for any thread count). */
public final class Quantizers {
    private Quantizers() {}

    public static ByteBuffer quantize(float[] data, int rows, int rowLen, GgmlType type, int threads) {
        if ((long) rows * rowLen != data.length) throw new IllegalArgumentException(rows + " rows of " + rowLen + " is not " + data.length + " values");
        long rowBytes = type.rowBytes(rowLen);
        byte[] out = new byte[Math.toIntExact(rowBytes * rows)];
        int t = Math.max(1, Math.min(threads, rows));
        if (t == 1) {
            quantizeRows(data, rowLen, type, out, 0, rows);
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(t);
            try {
                List<Future<?>> parts = new ArrayList<>();
                int per = (rows + t - 1) / t;
                for (int r0 = 0; r0 < rows; r0 += per) {
                    int from = r0, to = Math.min(rows, r0 + per);
                    parts.add(pool.submit(() -> quantizeRows(data, rowLen, type, out, from, to)));
                }
                for (Future<?> f : parts) f.get();
            } catch (Exception e) {
                throw new IllegalStateException("quantization failed: " + e.getMessage(), e);
            } finally {
                pool.shutdown();
            }
        }
        return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void quantizeRows(float[] data, int rowLen, GgmlType type, byte[] out, int from, int to) {
        BlockQuantizer q = BlockQuantizer.forType(type);
        int blocks = rowLen / type.blockSize;
        long rowBytes = type.rowBytes(rowLen);
        for (int r = from; r < to; r++) {
            for (int b = 0; b < blocks; b++) {
                q.quantize(data, r * rowLen + b * type.blockSize, out, (int) (r * rowBytes + (long) b * type.typeSize));
            }
        }
    }
}
