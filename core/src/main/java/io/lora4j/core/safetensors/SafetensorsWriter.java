package io.lora4j.core.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.io.AtomicFiles;
import io.lora4j.core.io.CountingChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a safetensors file (REFERENCE.md D.5): the header JSON ({@code __metadata__} first, then the tensors in
 * insertion order) padded with spaces to a multiple of 8 bytes, then the tensor bytes contiguous in the same order.
 */
public final class SafetensorsWriter {
    /** Writes a tensor's bytes when the writer reaches it, so a large model is never held whole. */
    @FunctionalInterface
    public interface TensorBytes {
        void writeTo(WritableByteChannel ch) throws IOException;
    }

    private record Entry(SafetensorsDType dtype, long[] shape, long size, TensorBytes bytes) {}

    private final Map<String, Entry> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value of " + key));
        return this;
    }

    public SafetensorsWriter put(String name, SafetensorsData data) {
        Objects.requireNonNull(data, "data");
        return add(name, new Entry(data.dtype(), data.shape(), data.byteSize(), ch -> writeFully(ch, data.data())));
    }

    /** A tensor whose bytes (exactly shape × dtype size, checked) are produced when the file is written. */
    public SafetensorsWriter putStreamed(String name, SafetensorsDType dtype, long[] shape, TensorBytes bytes) {
        return add(name, new Entry(dtype, shape.clone(), dtype.byteSize(shape), bytes));
    }

    private SafetensorsWriter add(String name, Entry e) {
        if (name == null || name.equals("__metadata__")) throw new IllegalArgumentException("'" + name + "' cannot name a tensor");
        if (tensors.containsKey(name)) throw new IllegalArgumentException("duplicate tensor '" + name + "'");
        tensors.put(name, e);
        return this;
    }

    public SafetensorsWriter put(String name, SafetensorsDType dtype, long[] shape, ByteBuffer data) {
        try {
            return put(name, new SafetensorsData(dtype, shape, data));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    public SafetensorsWriter putF32(String name, long[] shape, float[] values) {
        return putFloats(name, shape, values, SafetensorsDType.F32);
    }

    /** Stores floats as F32, or rounded to nearest even as F16 or BF16. */
    public SafetensorsWriter putFloats(String name, long[] shape, float[] values, SafetensorsDType dtype) {
        try {
            return put(name, SafetensorsData.floats(shape, values, dtype));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    /** Total tensor bytes (without the header). */
    public long dataBytes() {
        long n = 0;
        for (Entry e : tensors.values()) n += e.size();
        return n;
    }

    /** Writes to a temporary file beside {@code out}, then renames it into place. */
    public void write(Path out) throws IOException {
        AtomicFiles.write(out, this::write);
    }

    public void write(WritableByteChannel ch) throws IOException {
        writeFully(ch, header());
        for (Map.Entry<String, Entry> t : tensors.entrySet()) {
            CountingChannel counted = new CountingChannel(ch);
            t.getValue().bytes().writeTo(counted);
            if (counted.count() != t.getValue().size()) {
                throw new IOException("tensor '" + t.getKey() + "' produced " + counted.count() + " bytes, expected " + t.getValue().size());
            }
        }
    }

    private ByteBuffer header() {
        ObjectNode root = new ObjectMapper().createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : tensors.entrySet()) {
            ObjectNode t = root.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.getValue().shape()) shape.add(d);
            ArrayNode offsets = t.putArray("data_offsets");
            offsets.add(offset);
            offset += e.getValue().size();
            offsets.add(offset);
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        return head.flip();
    }

    private static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
