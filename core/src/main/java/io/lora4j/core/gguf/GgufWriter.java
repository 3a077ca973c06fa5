package io.lora4j.core.gguf;

import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.io.AtomicFiles;
import io.lora4j.core.io.CountingChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a GGUF v3 file that ggml's reader accepts (REFERENCE.md A.1–A.3): metadata in insertion order with exactly
 * the types given, tensor infos in insertion order with sequential offsets, the header padded to the alignment and
 * every tensor padded too, the last one included. Tensor bytes may be supplied lazily, so a large model is written one
 * tensor at a time. Invalid input fails at the call that adds it, with IllegalArgumentException.
 */
public final class GgufWriter {

    /** Produces a tensor's bytes when the writer reaches it. */
    @FunctionalInterface
    public interface TensorData {
        ByteBuffer bytes() throws IOException;
    }

    /** Writes a tensor's bytes to the channel when the writer reaches it; for tensors over 2 GiB. */
    @FunctionalInterface
    public interface TensorStream {
        void writeTo(WritableByteChannel ch) throws IOException;
    }

    private record Pending(GgufTensorInfo info, long size, TensorStream data) {}

    private final Map<String, GgufValue> kv = new LinkedHashMap<>();
    private final List<Pending> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private int alignment = GgufHeader.DEFAULT_ALIGNMENT;
    private long nextOffset;

    /**
     * Sets the data alignment and records it as {@code general.alignment} (UINT32): the value is replaced in place
     * when the key is already there, and appended otherwise, except that the default 32 is not added on its own.
     * Must be called before any tensor is added.
     */
    public GgufWriter alignment(int a) {
        checkAlignment(a);
        if (!tensors.isEmpty()) throw new IllegalStateException("set the alignment before adding tensors");
        this.alignment = a;
        if (kv.containsKey("general.alignment") || a != GgufHeader.DEFAULT_ALIGNMENT) kv.put("general.alignment", GgufValue.uint32(a));
        return this;
    }

    /** Adds a key; keys keep insertion order and may not repeat. {@code general.alignment} must be a valid UINT32. */
    public GgufWriter put(String key, GgufValue v) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("empty metadata key");
        if (key.getBytes(StandardCharsets.UTF_8).length > GgufKvReader.MAX_KEY) throw new IllegalArgumentException("metadata key longer than 65535 bytes");
        if (v == null) throw new IllegalArgumentException("metadata key '" + key + "' has no value");
        if (kv.containsKey(key)) throw new IllegalArgumentException("duplicate metadata key '" + key + "'");
        if (key.equals("general.alignment")) {
            if (v.type() != GgufValueType.UINT32) throw new IllegalArgumentException("general.alignment must be UINT32 (ggml rejects other types), got " + v.type());
            long a = (Long) v.raw();
            checkAlignment(a);
            if (!tensors.isEmpty()) throw new IllegalStateException("set general.alignment before adding tensors");
            alignment = (int) a;
        }
        kv.put(key, v);
        return this;
    }

    /** Copies all metadata of another file, in its order (for re-writing or quantizing it). */
    public GgufWriter putAll(GgufMetadata m) {
        m.asMap().forEach(this::put);
        return this;
    }

    /** Adds a tensor whose bytes are {@code data.remaining()}; the buffer is read (not copied) when the file is written. */
    public GgufWriter addTensor(String name, long[] ne, GgmlType type, ByteBuffer data) {
        GgufTensorInfo info = info(name, ne, type);
        long size = info.byteSize();
        if (data.remaining() != size) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.remaining() + " bytes given, " + type + " with ne " + Arrays.toString(ne) + " needs " + size);
        }
        ByteBuffer d = data.duplicate();
        return add(info, size, ch -> writeFully(ch, d.duplicate()));
    }

    /** Adds a tensor whose bytes are produced when the writer reaches it. */
    public GgufWriter addTensor(String name, long[] ne, GgmlType type, TensorData data) {
        GgufTensorInfo info = info(name, ne, type);
        return add(info, info.byteSize(), ch -> writeFully(ch, data.bytes()));
    }

    /** Adds a tensor that writes its own bytes (exactly its byte size, checked) when the writer reaches it. */
    public GgufWriter addTensorStream(String name, long[] ne, GgmlType type, TensorStream data) {
        GgufTensorInfo info = info(name, ne, type);
        return add(info, info.byteSize(), data);
    }

    /** Adds an F32 tensor. */
    public GgufWriter addTensor(String name, long[] ne, float[] f32) {
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(f32.length, 4)).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(f32);
        return addTensor(name, ne, GgmlType.F32, b);
    }

    private GgufTensorInfo info(String name, long[] ne, GgmlType type) {
        if (name == null || name.getBytes(StandardCharsets.UTF_8).length > GgufHeader.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' must be at most " + GgufHeader.MAX_NAME_BYTES + " bytes of UTF-8 (ggml's limit)");
        }
        if (names.contains(name)) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        GgufTensorInfo info = new GgufTensorInfo(name, ne, type, nextOffset);
        try {
            info.byteSize(); // checks rows are whole blocks and the size fits in 64 bits
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "' (" + type + ", ne " + Arrays.toString(ne) + "): " + e.getMessage(), e);
        }
        return info;
    }

    private GgufWriter add(GgufTensorInfo info, long size, TensorStream data) {
        Pending p = new Pending(info, size, data);
        tensors.add(p);
        names.add(info.name());
        nextOffset = Math.addExact(nextOffset, GgufHeader.align(size, alignment));
        return this;
    }

    /** Writes to a temporary file beside {@code out}, then renames it, so no half-written file appears under the final name. */
    public void write(Path out) throws IOException {
        AtomicFiles.write(out, this::write);
    }

    public void write(WritableByteChannel ch) throws IOException {
        GgufEncoder e = new GgufEncoder();
        e.u32(GgufHeader.MAGIC);
        e.u32(3);
        e.u64(tensors.size());
        e.u64(kv.size());
        kv.forEach((k, v) -> {
            e.string(k);
            e.value(v);
        });
        for (Pending t : tensors) e.tensorInfo(t.info);
        if (!tensors.isEmpty()) e.pad(alignment); // ggml pads only when there is a data section
        e.writeTo(ch);
        for (Pending t : tensors) writeData(ch, t);
    }

    private void writeData(WritableByteChannel ch, Pending t) throws IOException {
        CountingChannel counted = new CountingChannel(ch);
        t.data.writeTo(counted);
        if (counted.count() != t.size) {
            throw new IOException("tensor '" + t.info.name() + "' produced " + counted.count() + " bytes, expected " + t.size);
        }
        writeFully(ch, ByteBuffer.allocate((int) (GgufHeader.align(t.size, alignment) - t.size)));
    }

    private static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static void checkAlignment(long a) {
        if (a <= 0 || (a & (a - 1)) != 0 || a > GgufHeader.MAX_ALIGNMENT) {
            throw new IllegalArgumentException("alignment must be a power of two up to " + GgufHeader.MAX_ALIGNMENT + ", got " + a);
        }
    }
}
