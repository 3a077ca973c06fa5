package io.lora4j.core.gguf;

import io.lora4j.core.ggml.GgmlDequantizer;
import io.lora4j.core.ggml.GgmlType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An open GGUF file (version 2 or 3, little-endian). {@link #open} validates the whole header the way ggml's reader
 * does before anything is mapped (see {@link GgufHeader}); tensor data is then memory-mapped one tensor (or one
 * chunk) at a time, so files over 2 GiB work.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = GgufHeader.MAGIC;
    public static final int DEFAULT_ALIGNMENT = GgufHeader.DEFAULT_ALIGNMENT;
    /** readFloats maps at most this many bytes at once. */
    static final long READ_CHUNK_BYTES = 1L << 30;

    private final Path path;
    private final FileChannel channel;
    private final GgufHeader header;
    private final Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();

    private GgufFile(Path path, FileChannel channel, GgufHeader header) {
        this.path = path;
        this.channel = channel;
        this.header = header;
        for (GgufTensorInfo t : header.tensors()) byName.put(t.name(), t);
    }

    public static GgufFile open(Path path) throws IOException {
        if (java.nio.file.Files.isDirectory(path)) throw new java.io.IOException(path + ": is a directory, expected a GGUF file");
        if (!java.nio.file.Files.exists(path)) throw new java.nio.file.NoSuchFileException(path + ": no such file");
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new GgufFile(path, ch, GgufHeader.read(new HeaderReader(ch, path.toString())));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public int version() {
        return header.version();
    }

    public int alignment() {
        return header.alignment();
    }

    /** File offset of the tensor data section; tensor offsets are relative to it. */
    public long dataStart() {
        return header.dataStart();
    }

    public GgufMetadata metadata() {
        return header.metadata();
    }

    /** Tensor infos in file order. */
    public List<GgufTensorInfo> tensors() {
        return header.tensors();
    }

    public Optional<GgufTensorInfo> tensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The raw bytes of a tensor as a read-only little-endian mapping (tensors under 2 GiB). */
    public ByteBuffer tensorBytes(GgufTensorInfo t) throws IOException {
        check(t);
        long n = t.byteSize();
        if (n > Integer.MAX_VALUE) {
            throw new GgufFormatException(path + ": tensor '" + t.name() + "' is " + n + " bytes, over the 2 GiB a single buffer holds; read it with readFloats");
        }
        return map(t.offset(), n);
    }

    /** Bytes [from, from + length) of a tensor's data as a read-only little-endian mapping (under 2 GiB). */
    public ByteBuffer tensorBytes(GgufTensorInfo t, long from, long length) throws IOException {
        check(t);
        if (from < 0 || length < 0 || length > Integer.MAX_VALUE || from > t.byteSize() - length) {
            throw new IllegalArgumentException(path + ": bytes [" + from + ", " + (from + length) + ") outside tensor '" + t.name() + "' of " + t.byteSize()
                    + " bytes (or over 2 GiB at once)");
        }
        return map(t.offset() + from, length);
    }

    /**
     * Bytes [from, from + length) of a tensor's data read into a heap buffer (little-endian), not mapped: a streaming
     * pass over a large model reads every tensor, and mappings would stay resident until they are garbage-collected.
     */
    public ByteBuffer readTensorBytes(GgufTensorInfo t, long from, int length) throws IOException {
        check(t);
        if (from < 0 || length < 0 || from > t.byteSize() - length) {
            throw new IllegalArgumentException(path + ": bytes [" + from + ", " + (from + length) + ") outside tensor '" + t.name() + "' of " + t.byteSize() + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        long pos = header.dataStart() + t.offset() + from;
        while (b.hasRemaining()) {
            int n = channel.read(b, pos);
            if (n < 0) throw new GgufFormatException(path + ": tensor '" + t.name() + "' is truncated at byte " + pos);
            pos += n;
        }
        return b.flip();
    }

    /**
     * Rows [firstRow, firstRow + n) of a tensor (rows of ne[0] values) read as {@link #readTensorBytes} does and
     * dequantized into {@code out[at ..]}: what a streaming pass over a model (quantize, the export's checks) reads.
     */
    public void readRowsInto(GgufTensorInfo t, long firstRow, int n, float[] out, int at) throws IOException {
        long rowLen = t.ne()[0], rowBytes = t.type().rowBytes(rowLen);
        ByteBuffer bytes = readTensorBytes(t, firstRow * rowBytes, Math.toIntExact(n * rowBytes));
        GgmlDequantizer.dequantize(t.type(), bytes, out, at, Math.toIntExact(n * rowLen));
    }

    /**
     * Copies a tensor's raw bytes to {@code out} through the file channel, without mapping them (a mapping stays
     * resident until it is garbage-collected; a streaming copy of a large model should not accumulate them).
     */
    public void copyTensorTo(GgufTensorInfo t, java.nio.channels.WritableByteChannel out) throws IOException {
        check(t);
        long pos = header.dataStart() + t.offset(), end = pos + t.byteSize();
        while (pos < end) {
            long n = channel.transferTo(pos, end - pos, out);
            if (n <= 0) throw new GgufFormatException(path + ": tensor '" + t.name() + "' is truncated at byte " + pos);
            pos += n;
        }
    }

    /** The tensor's values as floats (dequantized), row-major with ne[0] fastest. */
    public float[] readFloats(GgufTensorInfo t) throws IOException {
        return readFloats(t, READ_CHUNK_BYTES);
    }

    public float[] readFloats(String name) throws IOException {
        GgufTensorInfo t = byName.get(name);
        if (t == null) throw new GgufFormatException(path + ": no tensor named '" + name + "'");
        return readFloats(t);
    }

    /** Dequantizes whole blocks, mapping at most about {@code chunkBytes} at a time (tests use small chunks). */
    float[] readFloats(GgufTensorInfo t, long chunkBytes) throws IOException {
        check(t);
        long count = t.elementCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new GgufFormatException(path + ": tensor '" + t.name() + "' has " + count + " elements, more than one Java float[] holds; read it in parts with tensorBytes");
        }
        float[] out = new float[(int) count];
        GgmlType type = t.type();
        long blocks = count / type.blockSize;
        long blocksPerChunk = Math.max(1, chunkBytes / type.typeSize);
        for (long b0 = 0; b0 < blocks; b0 += blocksPerChunk) {
            long nb = Math.min(blocksPerChunk, blocks - b0);
            ByteBuffer bytes = map(t.offset() + b0 * type.typeSize, nb * type.typeSize);
            GgmlDequantizer.dequantize(type, bytes, out, (int) (b0 * type.blockSize), (int) (nb * type.blockSize));
        }
        return out;
    }

    private ByteBuffer map(long dataOffset, long length) throws IOException {
        return channel.map(FileChannel.MapMode.READ_ONLY, header.dataStart() + dataOffset, length).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Tensor infos from another file would map the wrong bytes. */
    private void check(GgufTensorInfo t) {
        if (!t.equals(byName.get(t.name()))) {
            throw new IllegalArgumentException(path + ": tensor info " + t + " does not belong to this file");
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
