package io.lora4j.core.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.ggml.Float16;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A safetensors file, validated like the reference reader: header length inside the file and at most 100 MB,
 * valid JSON, known dtypes, each byte range equal to shape × dtype size, ranges contiguous from 0 without gaps or
 * overlaps, and ending exactly at the end of the file. Tensors are memory-mapped when read.
 */
public final class SafetensorsFile implements AutoCloseable {
    static final long MAX_HEADER = 100_000_000;
    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, SafetensorsTensor> tensors;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, String> metadata, Map<String, SafetensorsTensor> tensors) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return read(path, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static SafetensorsFile read(Path path, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) throw new SafetensorsFormatException(path + ": " + size + " bytes, too short for the 8-byte header length");
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(lenBuf, 0);
        long n = lenBuf.getLong(0);
        if (n < 2 || n > MAX_HEADER || n > size - 8) {
            throw new SafetensorsFormatException(path + ": at offset 0: header length " + Long.toUnsignedString(n) + " is invalid (the file has "
                    + (size - 8) + " bytes after the length; headers are limited to " + MAX_HEADER + " bytes)");
        }
        ByteBuffer header = ByteBuffer.allocate((int) n);
        while (header.hasRemaining()) if (ch.read(header, 8 + header.position()) < 0) break;
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(header.array());
        } catch (IOException e) {
            throw new SafetensorsFormatException(path + ": header at offset 8 is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new SafetensorsFormatException(path + ": header at offset 8 is not a JSON object");
        Map<String, String> meta = new LinkedHashMap<>();
        List<SafetensorsTensor> list = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                for (Iterator<Map.Entry<String, JsonNode>> m = e.getValue().fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> kv = m.next();
                    if (!kv.getValue().isTextual()) throw new SafetensorsFormatException(path + ": __metadata__ key '" + kv.getKey() + "' is not a string");
                    meta.put(kv.getKey(), kv.getValue().asText());
                }
                continue;
            }
            list.add(tensor(path, e.getKey(), e.getValue()));
        }
        long dataSize = size - 8 - n;
        list.sort(Comparator.comparingLong(SafetensorsTensor::begin));
        long expected = 0;
        for (SafetensorsTensor t : list) {
            if (t.begin() != expected) {
                throw new SafetensorsFormatException(path + ": tensor '" + t.name() + "' starts at data offset " + t.begin() + ", expected " + expected
                        + " (tensor data must be contiguous, without gaps or overlaps)");
            }
            expected = t.end();
        }
        if (expected != dataSize) {
            throw new SafetensorsFormatException(path + ": tensors end at data offset " + expected + " but the file has " + dataSize
                    + " data bytes after the header" + (expected > dataSize ? " (truncated file?)" : ""));
        }
        Map<String, SafetensorsTensor> byName = new LinkedHashMap<>();
        for (SafetensorsTensor t : list) byName.put(t.name(), t);
        return new SafetensorsFile(path, ch, 8 + n, Collections.unmodifiableMap(meta), Collections.unmodifiableMap(byName));
    }

    private static SafetensorsTensor tensor(Path path, String name, JsonNode v) throws SafetensorsFormatException {
        SafetensorsDType dtype = SafetensorsDType.parse(v.path("dtype").asText(""));
        if (dtype == null) throw new SafetensorsFormatException(path + ": tensor '" + name + "' has unknown dtype '" + v.path("dtype").asText() + "'");
        JsonNode shapeNode = v.path("shape"), offs = v.path("data_offsets");
        if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
            throw new SafetensorsFormatException(path + ": tensor '" + name + "' needs a shape array and data_offsets [begin, end]");
        }
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        try {
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong(-1);
                if (shape[i] < 0) throw new SafetensorsFormatException(path + ": tensor '" + name + "' has a negative dimension");
                count = Math.multiplyExact(count, shape[i]);
            }
            long begin = offs.get(0).asLong(-1), end = offs.get(1).asLong(-1);
            long bytes = Math.multiplyExact(count, (long) dtype.size);
            if (begin < 0 || end < begin || end - begin != bytes) {
                throw new SafetensorsFormatException(path + ": tensor '" + name + "' data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                        + " bytes, but shape " + java.util.Arrays.toString(shape) + " of " + dtype + " needs " + bytes);
            }
            return new SafetensorsTensor(name, dtype, shape, begin, end);
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(path + ": tensor '" + name + "' size overflows");
        }
    }

    public Path path() {
        return path;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public List<SafetensorsTensor> tensors() {
        return new ArrayList<>(tensors.values());
    }

    public Optional<SafetensorsTensor> tensor(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    public ByteBuffer bytes(SafetensorsTensor t) throws IOException {
        long n = t.end() - t.begin();
        if (n > Integer.MAX_VALUE) throw new SafetensorsFormatException(path + ": tensor '" + t.name() + "' is larger than 2 GiB");
        return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), n).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** F32, F16 or BF16 values as floats. */
    public float[] readFloats(String name) throws IOException {
        SafetensorsTensor t = tensors.get(name);
        if (t == null) throw new SafetensorsFormatException(path + ": no tensor '" + name + "'");
        long count = t.elementCount();
        if (count > Integer.MAX_VALUE - 8) throw new SafetensorsFormatException(path + ": tensor '" + name + "' has too many elements for one array");
        ByteBuffer b = bytes(t);
        float[] out = new float[(int) count];
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case F16 -> { for (int i = 0; i < out.length; i++) out[i] = Float16.halfToFloat(b.getShort()); }
            case BF16 -> { for (int i = 0; i < out.length; i++) out[i] = Float16.bf16ToFloat(b.getShort()); }
            default -> throw new SafetensorsFormatException(path + ": tensor '" + name + "' is " + t.dtype() + ", expected F32, F16 or BF16");
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
