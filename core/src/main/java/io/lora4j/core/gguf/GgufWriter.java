package io.lora4j.core.gguf;

import io.lora4j.core.ggml.GgmlType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes GGUF v3 exactly as ggml's reader wants it: metadata with the types given, tensor infos in insertion order,
 * offsets sequential and each tensor padded to the alignment (the last one too). Tensor bytes may be supplied lazily,
 * so a large model is written one tensor at a time.
 */
public final class GgufWriter {

    /** Produces a tensor's bytes when the writer reaches it. */
    @FunctionalInterface
    public interface TensorData {
        ByteBuffer bytes() throws IOException;
    }

    private record Pending(String name, long[] ne, GgmlType type, long size, TensorData data) {}

    private final Map<String, GgufValue> kv = new LinkedHashMap<>();
    private final List<Pending> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    public GgufWriter alignment(int a) {
        if (a <= 0 || (a & (a - 1)) != 0) throw new IllegalArgumentException("alignment must be a power of two, got " + a);
        this.alignment = a;
        return this;
    }

    public GgufWriter put(String key, GgufValue v) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("empty metadata key");
        if (kv.containsKey(key)) throw new IllegalArgumentException("duplicate metadata key '" + key + "'");
        if (key.equals("general.alignment")) {
            if (v.type() != GgufValueType.UINT32) throw new IllegalArgumentException("general.alignment must be UINT32");
            alignment((int) (long) (Long) v.value());
        }
        kv.put(key, v);
        return this;
    }

    /** Copies all metadata of another file (for re-writing or quantizing it). */
    public GgufWriter putAll(GgufMetadata m) {
        m.asMap().forEach(this::put);
        return this;
    }

    public GgufWriter addTensor(String name, long[] ne, GgmlType type, ByteBuffer data) {
        long size = tensorBytes(name, ne, type);
        if (data.remaining() != size) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.remaining() + " bytes given, " + type + " with ne " + java.util.Arrays.toString(ne) + " needs " + size);
        }
        ByteBuffer d = data.duplicate();
        return add(new Pending(name, ne.clone(), type, size, () -> d.duplicate()));
    }

    public GgufWriter addTensor(String name, long[] ne, GgmlType type, TensorData data) {
        return add(new Pending(name, ne.clone(), type, tensorBytes(name, ne, type), data));
    }

    public GgufWriter addTensor(String name, long[] ne, float[] f32) {
        ByteBuffer b = ByteBuffer.allocate(f32.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(f32);
        return addTensor(name, ne, GgmlType.F32, b);
    }

    private GgufWriter add(Pending p) {
        if (p.name.getBytes(StandardCharsets.UTF_8).length > GgufFile.MAX_NAME) {
            throw new IllegalArgumentException("tensor name '" + p.name + "' is longer than " + GgufFile.MAX_NAME + " bytes");
        }
        if (!names.add(p.name)) throw new IllegalArgumentException("duplicate tensor name '" + p.name + "'");
        tensors.add(p);
        return this;
    }

    private static long tensorBytes(String name, long[] ne, GgmlType type) {
        if (ne.length < 1 || ne.length > 4) throw new IllegalArgumentException("tensor '" + name + "' must have 1 to 4 dimensions");
        long rows = 1;
        for (int i = 1; i < ne.length; i++) rows = Math.multiplyExact(rows, ne[i]);
        try {
            return Math.multiplyExact(type.rowBytes(ne[0]), rows);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage());
        }
    }

    /** Writes to a temporary file beside {@code out}, then renames it, so no half-written file appears under the final name. */
    public void write(Path out) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + out.getFileName(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                write(ch);
                ch.force(false);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    public void write(WritableByteChannel ch) throws IOException {
        Sink s = new Sink();
        s.u32(GgufFile.MAGIC);
        s.u32(3);
        s.u64(tensors.size());
        s.u64(kv.size());
        for (Map.Entry<String, GgufValue> e : kv.entrySet()) {
            s.string(e.getKey());
            writeValue(s, e.getValue());
        }
        long offset = 0;
        for (Pending t : tensors) {
            s.string(t.name);
            s.u32(t.ne.length);
            for (long d : t.ne) s.u64(d);
            s.u32(t.type.id);
            s.u64(offset);
            offset += GgufFile.align(t.size, alignment);
        }
        if (!tensors.isEmpty()) s.pad(alignment);
        long written = s.flushTo(ch);
        for (Pending t : tensors) {
            ByteBuffer b = t.data.bytes();
            if (b.remaining() != t.size) throw new IOException("tensor '" + t.name + "' produced " + b.remaining() + " bytes, expected " + t.size);
            while (b.hasRemaining()) written += ch.write(b);
            long pad = GgufFile.align(t.size, alignment) - t.size;
            if (pad > 0) written += writeFully(ch, ByteBuffer.allocate((int) pad));
        }
    }

    private static long writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
        long n = 0;
        while (b.hasRemaining()) n += ch.write(b);
        return n;
    }

    private static void writeValue(Sink s, GgufValue v) {
        s.u32(v.type().id);
        if (v.type() != GgufValueType.ARRAY) {
            writeScalar(s, v.type(), v.value());
            return;
        }
        s.u32(v.elementType().id);
        int n = v.length();
        s.u64(n);
        Object arr = v.value();
        for (int i = 0; i < n; i++) writeScalar(s, v.elementType(), java.lang.reflect.Array.get(arr, i));
    }

    private static void writeScalar(Sink s, GgufValueType t, Object o) {
        switch (t) {
            case UINT8, INT8 -> s.out.write(((Number) o).intValue());
            case UINT16, INT16 -> s.u16(((Number) o).intValue());
            case UINT32, INT32 -> s.u32(((Number) o).intValue());
            case UINT64, INT64 -> s.u64(((Number) o).longValue());
            case FLOAT32 -> s.u32(Float.floatToRawIntBits(((Number) o).floatValue()));
            case FLOAT64 -> s.u64(Double.doubleToRawLongBits(((Number) o).doubleValue()));
            case BOOL -> s.out.write((Boolean) o ? 1 : 0);
            case STRING -> s.string((String) o);
            case ARRAY -> throw new IllegalArgumentException("nested arrays are not written (ggml cannot read them)");
        }
    }

    /** Little-endian header bytes, buffered in memory (headers are at most a few MB). */
    private static final class Sink {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);

        void u16(int v) {
            out.write(v & 0xFF);
            out.write((v >>> 8) & 0xFF);
        }

        void u32(int v) {
            for (int i = 0; i < 4; i++) out.write((v >>> (8 * i)) & 0xFF);
        }

        void u64(long v) {
            for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i)) & 0xFF);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.write(b, 0, b.length);
        }

        void pad(int alignment) {
            while (out.size() % alignment != 0) out.write(0);
        }

        long flushTo(WritableByteChannel ch) throws IOException {
            return writeFully(ch, ByteBuffer.wrap(out.toByteArray()));
        }
    }
}
