package io.lora4j.core.gguf;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.GgmlType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file over 4 GiB, written sparse so the test stays fast: a 4.5 GiB tensor with 2^33 elements, then a
 * small tensor whose data starts past the 4 GiB mark. Reading the small one proves per-tensor mapping; the big one
 * must fail clearly for a single buffer or float[].
 */
class GgufLargeFileTest {
    private static final ByteBuffer ZEROS = ByteBuffer.allocate(1 << 24);

    /** Skips over chunks of ZEROS instead of writing them, leaving holes in the file. */
    private record SparseChannel(FileChannel ch) implements WritableByteChannel {
        @Override
        public int write(ByteBuffer src) throws IOException {
            if (src.hasArray() && src.array() == ZEROS.array()) {
                int n = src.remaining();
                ch.position(ch.position() + n);
                src.position(src.limit());
                return n;
            }
            return ch.write(src);
        }

        @Override
        public boolean isOpen() {
            return ch.isOpen();
        }

        @Override
        public void close() {}
    }

    @Test
    void tensorsPastFourGibAreMappedPerTensor(@TempDir Path tmp) throws Exception {
        long bigElements = 1L << 33; // Q4_0: 2^28 blocks of 18 bytes = 4.5 GiB
        long bigBytes = GgmlType.Q4_0.rowBytes(bigElements);
        float[] small = {1.5f, -2f, 3.25f, 1e-3f};
        Path p = tmp.resolve("big.gguf");
        GgufWriter w = new GgufWriter().put("general.architecture", GgufValue.string("llama"))
                .addTensorStream("big", new long[] {bigElements / 4, 4}, GgmlType.Q4_0, ch -> {
                    for (long left = bigBytes; left > 0; left -= ZEROS.capacity()) {
                        ch.write(ZEROS.duplicate().limit((int) Math.min(left, ZEROS.capacity())));
                    }
                })
                .addTensor("small", new long[] {4}, small);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            w.write(new SparseChannel(ch));
        }
        assertTrue(Files.size(p) > bigBytes);
        try (GgufFile f = GgufFile.open(p)) {
            GgufTensorInfo big = f.tensor("big").orElseThrow(), s = f.tensor("small").orElseThrow();
            assertEquals(bigBytes, big.byteSize());
            assertTrue(f.dataStart() + s.offset() > 2L * Integer.MAX_VALUE, "the small tensor lies past 4 GiB");
            assertArrayEquals(small, f.readFloats(s));
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> f.tensorBytes(big));
            assertTrue(e.getMessage().contains("'big' is " + bigBytes + " bytes, over the 2 GiB"), e.getMessage());
            e = assertThrows(GgufFormatException.class, () -> f.readFloats(big));
            assertTrue(e.getMessage().contains("'big' has 8589934592 elements, more than one Java float[] holds"), e.getMessage());
        }
    }
}
