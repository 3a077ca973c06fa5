package io.lora4j.core.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The header of a safetensors file, validated like the reference Rust reader (REFERENCE.md D.5) before anything is
 * mapped: u64 length inside the file and at most 100 MB; a JSON object with no duplicate keys and nothing after it;
 * {@code __metadata__} string→string; every tensor a known dtype, a non-negative integer shape and data_offsets whose
 * size equals shape × dtype size; the ranges, sorted, contiguous from 0 without gaps or overlaps, ending exactly at
 * the end of the file.
 */
record SafetensorsHeader(long dataStart, Map<String, String> metadata, List<SafetensorsTensor> tensors) {
    static final long MAX_HEADER = 100_000_000;
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static SafetensorsHeader read(String file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) throw new SafetensorsFormatException(file + ": " + size + " bytes, too short for the 8-byte header length");
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long n = lenBuf.getLong(0);
        if (n < 0 || n > MAX_HEADER) {
            throw new SafetensorsFormatException(file + ": at offset 0: header length " + Long.toUnsignedString(n) + " exceeds the limit of " + MAX_HEADER + " bytes");
        }
        if (n > size - 8) {
            throw new SafetensorsFormatException(file + ": at offset 0: header length " + n + " runs past the end of the file (" + (size - 8) + " bytes follow the length; truncated file?)");
        }
        ByteBuffer header = ByteBuffer.allocate((int) n);
        readFully(ch, header, 8);
        if (n == 0 || header.get(0) != '{') throw new SafetensorsFormatException(file + ": at offset 8: the header must be a JSON object starting with '{'");
        JsonNode root;
        try {
            root = JSON.readTree(header.array());
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(file + ": header at offset 8 is not valid JSON: " + e.getOriginalMessage());
        }
        Map<String, String> meta = new LinkedHashMap<>();
        List<SafetensorsTensor> tensors = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                metadata(file, e.getValue(), meta);
            } else {
                tensors.add(tensor(file, e.getKey(), e.getValue()));
            }
        }
        checkContiguous(file, tensors, size - 8 - n);
        return new SafetensorsHeader(8 + n, Collections.unmodifiableMap(meta), List.copyOf(tensors));
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) throw new IOException("unexpected end of file");
        }
    }

    private static void metadata(String file, JsonNode m, Map<String, String> out) throws SafetensorsFormatException {
        if (!m.isObject()) throw new SafetensorsFormatException(file + ": __metadata__ is " + m.getNodeType() + ", expected an object of strings");
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> kv = it.next();
            if (!kv.getValue().isTextual()) {
                throw new SafetensorsFormatException(file + ": __metadata__ key '" + kv.getKey() + "' is " + kv.getValue().getNodeType() + ", expected a string");
            }
            out.put(kv.getKey(), kv.getValue().textValue());
        }
    }

    private static SafetensorsTensor tensor(String file, String name, JsonNode v) throws SafetensorsFormatException {
        String where = file + ": tensor '" + name + "'";
        if (!v.isObject()) throw new SafetensorsFormatException(where + " is " + v.getNodeType() + ", expected an object with dtype, shape and data_offsets");
        JsonNode dtypeNode = v.path("dtype");
        SafetensorsDType dtype = dtypeNode.isTextual() ? SafetensorsDType.parse(dtypeNode.textValue()) : null;
        if (dtype == null) {
            throw new SafetensorsFormatException(where + " has unknown dtype " + dtypeNode + ", expected one of " + Arrays.toString(SafetensorsDType.values()));
        }
        long[] shape = longs(where, "shape", v.path("shape"), -1);
        long[] offsets = longs(where, "data_offsets", v.path("data_offsets"), 2);
        long begin = offsets[0], end = offsets[1];
        if (end < begin) throw new SafetensorsFormatException(where + " has data_offsets [" + begin + ", " + end + "], expected begin <= end");
        try {
            long elements = 1;
            for (long d : shape) elements = Math.multiplyExact(elements, d);
            long bytes = Math.multiplyExact(elements, (long) dtype.size);
            if (end - begin != bytes) {
                throw new SafetensorsFormatException(where + " has data_offsets [" + begin + ", " + end + "] holding " + (end - begin)
                        + " bytes, but shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes);
            }
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(where + " with shape " + Arrays.toString(shape) + " has more bytes than fit in 64 bits");
        }
        return new SafetensorsTensor(name, dtype, shape, begin, end);
    }

    /** A JSON array of non-negative integers that fit in a long; {@code length} -1 means any length. */
    private static long[] longs(String where, String field, JsonNode a, int length) throws SafetensorsFormatException {
        String expected = length < 0 ? "an array of non-negative integers" : "an array of " + length + " non-negative integers";
        if (!a.isArray() || (length >= 0 && a.size() != length)) throw new SafetensorsFormatException(where + " has " + field + " " + a + ", expected " + expected);
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = a.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToLong() || x.longValue() < 0) {
                throw new SafetensorsFormatException(where + " has " + field + " " + a + ", expected " + expected);
            }
            out[i] = x.longValue();
        }
        return out;
    }

    private static void checkContiguous(String file, List<SafetensorsTensor> tensors, long dataSize) throws SafetensorsFormatException {
        List<SafetensorsTensor> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(SafetensorsTensor::begin).thenComparingLong(SafetensorsTensor::end));
        long expected = 0;
        for (SafetensorsTensor t : sorted) {
            if (t.begin() != expected) {
                throw new SafetensorsFormatException(file + ": tensor '" + t.name() + "' starts at data offset " + t.begin() + ", expected " + expected
                        + " (tensor data must be contiguous from 0, without gaps or overlaps)");
            }
            expected = t.end();
        }
        if (expected != dataSize) {
            throw new SafetensorsFormatException(file + ": tensors end at data offset " + expected + ", but " + dataSize + " data bytes follow the header"
                    + (expected > dataSize ? " (truncated file?)" : " (trailing bytes no tensor covers)"));
        }
        tensors.clear();
        tensors.addAll(sorted); // data order
    }
}
