package io.lora4j.core.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.ggml.Float16;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes a safetensors file: header JSON padded with spaces to 8 bytes, tensors contiguous in insertion order. */
public final class SafetensorsWriter {
    private record Entry(String name, SafetensorsDType dtype, long[] shape, ByteBuffer data) {}

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter put(String name, SafetensorsDType dtype, long[] shape, ByteBuffer data) {
        long n = dtype.size;
        for (long d : shape) n *= d;
        if (data.remaining() != n) throw new IllegalArgumentException("tensor '" + name + "': " + data.remaining() + " bytes given, " + n + " expected");
        for (Entry e : entries) if (e.name.equals(name)) throw new IllegalArgumentException("duplicate tensor '" + name + "'");
        entries.add(new Entry(name, dtype, shape.clone(), data.duplicate().order(ByteOrder.LITTLE_ENDIAN)));
        return this;
    }

    public SafetensorsWriter putF32(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return put(name, SafetensorsDType.F32, shape, b);
    }

    /** Stores floats as F16 or BF16 (round-to-nearest-even) or F32. */
    public SafetensorsWriter putFloats(String name, long[] shape, float[] values, SafetensorsDType dtype) {
        if (dtype == SafetensorsDType.F32) return putF32(name, shape, values);
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putShort(dtype == SafetensorsDType.F16 ? Float16.floatToHalf(v) : Float16.floatToBf16(v));
        b.flip();
        return put(name, dtype, shape, b);
    }

    public long dataBytes() {
        long n = 0;
        for (Entry e : entries) n += e.data.remaining();
        return n;
    }

    /** Writes to a temporary file beside {@code out}, then renames it into place. */
    public void write(Path out) throws IOException {
        ObjectNode root = new ObjectMapper().createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = root.putObject(e.name);
            t.put("dtype", e.dtype.name());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.shape) shape.add(d);
            ArrayNode offs = t.putArray("data_offsets");
            offs.add(offset);
            offset += e.data.remaining();
            offs.add(offset);
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + out.getFileName(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                while (head.hasRemaining()) ch.write(head);
                for (Entry e : entries) {
                    ByteBuffer d = e.data.duplicate();
                    while (d.hasRemaining()) ch.write(d);
                }
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }
}
