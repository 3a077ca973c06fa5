package io.lora4j.core.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.io.AtomicFiles;
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
    private final Map<String, SafetensorsData> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value of " + key));
        return this;
    }

    public SafetensorsWriter put(String name, SafetensorsData data) {
        Objects.requireNonNull(data, "data");
        if (name == null || name.equals("__metadata__")) throw new IllegalArgumentException("'" + name + "' cannot name a tensor");
        if (tensors.containsKey(name)) throw new IllegalArgumentException("duplicate tensor '" + name + "'");
        tensors.put(name, data);
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
        for (SafetensorsData d : tensors.values()) n += d.byteSize();
        return n;
    }

    /** Writes to a temporary file beside {@code out}, then renames it into place. */
    public void write(Path out) throws IOException {
        AtomicFiles.write(out, this::write);
    }

    public void write(WritableByteChannel ch) throws IOException {
        writeFully(ch, header());
        for (SafetensorsData d : tensors.values()) writeFully(ch, d.data());
    }

    private ByteBuffer header() {
        ObjectNode root = new ObjectMapper().createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, SafetensorsData> e : tensors.entrySet()) {
            ObjectNode t = root.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.getValue().shape()) shape.add(d);
            ArrayNode offsets = t.putArray("data_offsets");
            offsets.add(offset);
            offset += e.getValue().byteSize();
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
