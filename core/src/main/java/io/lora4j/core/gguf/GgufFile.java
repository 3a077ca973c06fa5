package io.lora4j.core.gguf;

import io.lora4j.core.ggml.GgmlDequantizer;
import io.lora4j.core.ggml.GgmlType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A GGUF file (version 2 or 3, little-endian), read with the same rules as ggml's reader: every count and length is
 * checked against the bytes left before anything is allocated, tensor offsets must be sequential and aligned, and
 * tensor data must lie inside the file. Tensor data is memory-mapped per tensor, so files over 2 GiB work.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    public static final int DEFAULT_ALIGNMENT = 32;
    static final long MAX_STRING = 1L << 30;
    static final long MAX_ARRAY = 1L << 30;
    static final int MAX_NAME = 63;

    private final Path path;
    private final FileChannel channel;
    private final int version;
    private final GgufMetadata metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> byName;
    private final int alignment;
    private final long dataStart;

    private GgufFile(Path path, FileChannel channel, int version, GgufMetadata metadata, List<GgufTensorInfo> tensors, int alignment, long dataStart) {
        this.path = path;
        this.channel = channel;
        this.version = version;
        this.metadata = metadata;
        this.tensors = Collections.unmodifiableList(tensors);
        this.alignment = alignment;
        this.dataStart = dataStart;
        Map<String, GgufTensorInfo> m = new LinkedHashMap<>();
        for (GgufTensorInfo t : tensors) m.put(t.name(), t);
        this.byName = Collections.unmodifiableMap(m);
    }

    public static GgufFile open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return read(path, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static GgufFile read(Path path, FileChannel ch) throws IOException {
        HeaderReader r = new HeaderReader(ch, path.toString());
        if (r.fileSize() < 24) {
            throw new GgufFormatException(path + ": " + r.fileSize() + " bytes is too short for a GGUF header (24 bytes: magic, version, tensor and key counts)");
        }
        int magic = r.u32("magic");
        if (magic != MAGIC) {
            throw new GgufFormatException(path + ": at offset 0: magic is 0x" + Integer.toHexString(magic) + ", expected 'GGUF' (0x46554747): not a GGUF file");
        }
        int version = r.u32("version");
        if ((version & 0xFFFF) == 0 && version != 0) {
            throw new GgufFormatException(path + ": at offset 4: version 0x" + Integer.toHexString(version) + " looks byte-swapped; big-endian GGUF files are not supported");
        }
        if (version < 2 || version > 3) {
            throw new GgufFormatException(path + ": at offset 4: GGUF version " + version + ", expected 2 or 3");
        }
        long nTensors = r.u64("tensor count");
        long nKv = r.u64("metadata count");
        // every tensor info needs at least 8+1+4+8+4+8 bytes, every KV at least 8+1+4+1
        if (nTensors < 0 || nTensors > r.remaining() / 33) {
            throw new GgufFormatException(path + ": at offset 8: tensor count " + Long.toUnsignedString(nTensors) + " cannot fit in the " + r.remaining() + " bytes left");
        }
        if (nKv < 0 || nKv > r.remaining() / 14) {
            throw new GgufFormatException(path + ": at offset 16: metadata count " + Long.toUnsignedString(nKv) + " cannot fit in the " + r.remaining() + " bytes left");
        }

        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            long at = r.position();
            String key = r.string("key of metadata entry " + i, 65535);
            if (key.isEmpty()) throw new GgufFormatException(path + ": at offset " + at + ": metadata entry " + i + " has an empty key");
            if (kv.containsKey(key)) throw new GgufFormatException(path + ": at offset " + at + ": duplicate metadata key '" + key + "'");
            kv.put(key, readValue(r, key));
        }
        GgufMetadata metadata = new GgufMetadata(path.toString(), kv);

        int alignment = DEFAULT_ALIGNMENT;
        GgufValue a = kv.get("general.alignment");
        if (a != null) {
            if (a.type() != GgufValueType.UINT32) {
                throw new GgufFormatException(path + ": metadata key 'general.alignment' has type " + a.type() + ", expected UINT32");
            }
            long al = (Long) a.value();
            if (al == 0 || (al & (al - 1)) != 0 || al > (1 << 30)) {
                throw new GgufFormatException(path + ": metadata key 'general.alignment' is " + al + ", expected a power of two");
            }
            alignment = (int) al;
        }

        List<GgufTensorInfo> tensors = new ArrayList<>();
        Set<String> names = new HashSet<>();
        long expectedOffset = 0;
        for (long i = 0; i < nTensors; i++) {
            long at = r.position();
            String name = r.string("name of tensor " + i, 1 << 16);
            int nameBytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (nameBytes > MAX_NAME) {
                throw new GgufFormatException(path + ": at offset " + at + ": tensor name '" + name + "' is " + nameBytes + " bytes, ggml allows at most " + MAX_NAME);
            }
            if (!names.add(name)) throw new GgufFormatException(path + ": at offset " + at + ": duplicate tensor name '" + name + "'");
            int nDims = r.u32("dimension count of tensor '" + name + "'");
            if (nDims < 1 || nDims > 4) throw r.error("tensor '" + name + "' has " + nDims + " dimensions, expected 1 to 4");
            long[] ne = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                ne[d] = r.u64("dimension " + d + " of tensor '" + name + "'");
                if (ne[d] < 0) throw r.error("tensor '" + name + "' dimension " + d + " is " + Long.toUnsignedString(ne[d]) + ", expected a non-negative size");
                try {
                    elements = Math.multiplyExact(elements, ne[d]);
                } catch (ArithmeticException e) {
                    throw r.error("tensor '" + name + "' has more elements than fit in 64 bits");
                }
            }
            int typeId = r.u32("type of tensor '" + name + "'");
            GgmlType type = GgmlType.fromId(typeId);
            if (type == null) throw r.error("tensor '" + name + "' has ggml type id " + typeId + ", which lora4j does not support");
            if (ne[0] % type.blockSize != 0) {
                throw r.error("tensor '" + name + "' row length " + ne[0] + " is not a multiple of the " + type + " block size " + type.blockSize);
            }
            long offset = r.u64("data offset of tensor '" + name + "'");
            if (offset != expectedOffset) {
                throw r.error("tensor '" + name + "' data offset is " + offset + ", expected " + expectedOffset
                        + " (offsets must follow each other in tensor-info order, each padded to the alignment " + alignment + ")");
            }
            GgufTensorInfo info = new GgufTensorInfo(name, ne, type, offset);
            long bytes;
            try {
                bytes = info.byteSize();
                expectedOffset = Math.addExact(offset, align(bytes, alignment));
            } catch (ArithmeticException e) {
                throw r.error("tensor '" + name + "' size overflows");
            }
            if (bytes > r.fileSize()) {
                throw r.error("tensor '" + name + "' claims " + elements + " elements (" + bytes + " bytes), more than the whole file (" + r.fileSize() + " bytes)");
            }
            tensors.add(info);
        }
        long dataStart = nTensors > 0 ? align(r.position(), alignment) : r.position();
        // ggml reads the whole data section, padding of the last tensor included
        if (dataStart + expectedOffset > r.fileSize()) {
            throw new GgufFormatException(path + ": the tensor data section needs " + expectedOffset + " bytes from offset " + dataStart
                    + " but the file ends at " + r.fileSize() + " (truncated file?)");
        }
        return new GgufFile(path, ch, version, metadata, tensors, alignment, dataStart);
    }

    static long align(long x, long a) {
        return Math.addExact(x, (a - x % a) % a);
    }

    private static GgufValue readValue(HeaderReader r, String key) throws IOException {
        int typeId = r.u32("value type of '" + key + "'");
        GgufValueType type = GgufValueType.fromId(typeId);
        if (type == null) throw r.error("metadata key '" + key + "' has unknown value type " + typeId);
        if (type != GgufValueType.ARRAY) return new GgufValue(type, null, readScalar(r, type, key));
        int elemId = r.u32("element type of '" + key + "'");
        GgufValueType elem = GgufValueType.fromId(elemId);
        if (elem == null) throw r.error("metadata key '" + key + "' has unknown array element type " + elemId);
        if (elem == GgufValueType.ARRAY) throw r.error("metadata key '" + key + "' is a nested array, which ggml does not read");
        long count = r.u64("element count of '" + key + "'");
        long minBytes = elem == GgufValueType.STRING ? 8 : elem.size;
        if (count < 0 || count > MAX_ARRAY || count > r.remaining() / minBytes) {
            throw r.error("metadata key '" + key + "' claims " + Long.toUnsignedString(count) + " elements of " + elem
                    + ", which cannot fit in the " + r.remaining() + " bytes left");
        }
        int n = (int) count;
        Object arr = switch (elem) {
            case STRING -> {
                String[] s = new String[n];
                for (int i = 0; i < n; i++) s[i] = r.string("element " + i + " of '" + key + "'", MAX_STRING);
                yield s;
            }
            case FLOAT32 -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) f[i] = r.f32(key);
                yield f;
            }
            case FLOAT64 -> {
                double[] d = new double[n];
                for (int i = 0; i < n; i++) d[i] = r.f64(key);
                yield d;
            }
            case BOOL -> {
                boolean[] b = new boolean[n];
                for (int i = 0; i < n; i++) b[i] = r.u8(key) != 0;
                yield b;
            }
            case UINT32, UINT64, INT64 -> {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) l[i] = elem == GgufValueType.UINT32 ? Integer.toUnsignedLong(r.u32(key)) : r.u64(key);
                yield l;
            }
            default -> {
                int[] v = new int[n];
                for (int i = 0; i < n; i++) v[i] = ((Number) readScalar(r, elem, key)).intValue();
                yield v;
            }
        };
        return new GgufValue(type, elem, arr);
    }

    private static Object readScalar(HeaderReader r, GgufValueType t, String key) throws IOException {
        return switch (t) {
            case UINT8 -> r.u8(key) & 0xFF;
            case INT8 -> (int) r.u8(key);
            case UINT16 -> r.u16(key) & 0xFFFF;
            case INT16 -> (int) r.u16(key);
            case UINT32 -> Integer.toUnsignedLong(r.u32(key));
            case INT32 -> r.u32(key);
            case UINT64, INT64 -> r.u64(key);
            case FLOAT32 -> r.f32(key);
            case FLOAT64 -> r.f64(key);
            case BOOL -> r.u8(key) != 0;
            case STRING -> r.string("value of '" + key + "'", MAX_STRING);
            case ARRAY -> throw r.error("unexpected array");
        };
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    public long dataStart() {
        return dataStart;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    public Optional<GgufTensorInfo> tensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The raw bytes of a tensor as a read-only little-endian mapping (tensors under 2 GiB). */
    public ByteBuffer tensorBytes(GgufTensorInfo t) throws IOException {
        long n = t.byteSize();
        if (n > Integer.MAX_VALUE) throw new GgufFormatException(path + ": tensor '" + t.name() + "' is " + n + " bytes; read it with readFloats");
        return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.offset(), n).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The tensor's values as floats (dequantized), row-major with ne[0] fastest. */
    public float[] readFloats(GgufTensorInfo t) throws IOException {
        long count = t.elementCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new GgufFormatException(path + ": tensor '" + t.name() + "' has " + count + " elements, more than one Java array holds");
        }
        float[] out = new float[(int) count];
        long rowBytes = t.type().rowBytes(t.ne()[0]);
        int rowLen = (int) t.ne()[0];
        long rows = rowLen == 0 ? 0 : count / rowLen;
        long rowsPerChunk = Math.max(1, (1L << 30) / Math.max(rowBytes, 1)); // map at most ~1 GiB at a time
        for (long r0 = 0; r0 < rows; r0 += rowsPerChunk) {
            long nr = Math.min(rowsPerChunk, rows - r0);
            ByteBuffer b = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.offset() + r0 * rowBytes, nr * rowBytes).order(ByteOrder.LITTLE_ENDIAN);
            GgmlDequantizer.dequantize(t.type(), b, out, (int) (r0 * rowLen), (int) (nr * rowLen));
        }
        return out;
    }

    public float[] readFloats(String name) throws IOException {
        GgufTensorInfo t = byName.get(name);
        if (t == null) throw new GgufFormatException(path + ": no tensor named '" + name + "'");
        return readFloats(t);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
