package io.lora4j.core.safetensors;

import io.lora4j.core.ggml.Float16;
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
 * An open safetensors file. {@link #open} validates the whole header first (see {@link SafetensorsHeader}); tensor
 * bytes are then memory-mapped per tensor, or per chunk when converting a tensor over 2 GiB to floats.
 */
public final class SafetensorsFile implements AutoCloseable {
    static final long MAX_HEADER = SafetensorsHeader.MAX_HEADER;
    /** readFloats maps at most this many bytes at once. */
    static final long READ_CHUNK_BYTES = 1L << 30;

    private final Path path;
    private final FileChannel channel;
    private final SafetensorsHeader header;
    private final Map<String, SafetensorsTensor> byName = new LinkedHashMap<>();

    private SafetensorsFile(Path path, FileChannel channel, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.header = header;
        for (SafetensorsTensor t : header.tensors()) byName.put(t.name(), t);
    }

    public static SafetensorsFile open(Path path) throws IOException {
        if (java.nio.file.Files.isDirectory(path)) throw new java.io.IOException(path + ": is a directory, expected a .safetensors file");
        if (!java.nio.file.Files.exists(path)) throw new java.nio.file.NoSuchFileException(path + ": no such file");
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new SafetensorsFile(path, ch, SafetensorsHeader.read(path.toString(), ch));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} strings (empty when absent). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** Tensors in data order. */
    public List<SafetensorsTensor> tensors() {
        return header.tensors();
    }

    public Optional<SafetensorsTensor> tensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The raw little-endian bytes of a tensor as a read-only mapping (tensors under 2 GiB). */
    public ByteBuffer bytes(SafetensorsTensor t) throws IOException {
        check(t);
        if (t.byteSize() > Integer.MAX_VALUE) {
            throw new SafetensorsFormatException(path + ": tensor '" + t.name() + "' is " + t.byteSize() + " bytes, over the 2 GiB a single buffer holds; read it with readFloats");
        }
        return map(t.begin(), t.byteSize());
    }

    /** F32, F16 or BF16 values as floats, row-major (C order). */
    public float[] readFloats(String name) throws IOException {
        return readFloats(name, READ_CHUNK_BYTES);
    }

    float[] readFloats(String name, long chunkBytes) throws IOException {
        SafetensorsTensor t = floatTensor(name);
        long count = t.elementCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new SafetensorsFormatException(path + ": tensor '" + name + "' has " + count + " elements, more than one Java float[] holds");
        }
        float[] out = new float[(int) count];
        long perChunk = Math.max(1, chunkBytes / t.dtype().size);
        for (long i0 = 0; i0 < count; i0 += perChunk) {
            int n = (int) Math.min(perChunk, count - i0);
            convert(t, i0, n, out, (int) i0);
        }
        return out;
    }

    /** Values [from, from + count) of an F32, F16 or BF16 tensor as floats, row-major: a part of a large tensor. */
    public float[] readFloats(String name, long from, int count) throws IOException {
        SafetensorsTensor t = floatTensor(name);
        if (from < 0 || count < 0 || from > t.elementCount() - count) {
            throw new IllegalArgumentException(path + ": values [" + from + ", " + (from + count) + ") outside tensor '" + name + "' of " + t.elementCount());
        }
        float[] out = new float[count];
        convert(t, from, count, out, 0);
        return out;
    }

    private SafetensorsTensor floatTensor(String name) throws SafetensorsFormatException {
        SafetensorsTensor t = byName.get(name);
        if (t == null) throw new SafetensorsFormatException(path + ": no tensor named '" + name + "'");
        if (!t.dtype().isFloat()) throw new SafetensorsFormatException(path + ": tensor '" + name + "' is " + t.dtype() + ", expected F32, F16 or BF16");
        return t;
    }

    /** Values [from, from + n) of {@code t} converted into {@code out} at {@code o}. */
    private void convert(SafetensorsTensor t, long from, int n, float[] out, int o) throws IOException {
        int size = t.dtype().size;
        ByteBuffer b = map(t.begin() + from * size, (long) n * size);
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().get(out, o, n);
            case F16 -> { for (int i = 0; i < n; i++) out[o + i] = Float16.halfToFloat(b.getShort()); }
            default -> { for (int i = 0; i < n; i++) out[o + i] = Float16.bf16ToFloat(b.getShort()); }
        }
    }

    private ByteBuffer map(long dataOffset, long length) throws IOException {
        return channel.map(FileChannel.MapMode.READ_ONLY, header.dataStart() + dataOffset, length).order(ByteOrder.LITTLE_ENDIAN);
    }

    private void check(SafetensorsTensor t) {
        if (!t.equals(byName.get(t.name()))) throw new IllegalArgumentException(path + ": tensor " + t + " does not belong to this file");
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
