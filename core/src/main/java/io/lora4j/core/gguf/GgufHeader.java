package io.lora4j.core.gguf;

import io.lora4j.core.ggml.GgmlType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything before the tensor data, validated in ggml's order (REFERENCE.md A.1–A.3): magic; version (2 or 3,
 * little-endian); counts; key/value pairs; general.alignment (UINT32, power of two); tensor infos (unique names under
 * 64 bytes, at most 4 dims, non-negative sizes, known type, rows a multiple of the block size, no size overflow,
 * offsets equal to the running total padded to the alignment); and finally all tensor data inside the file.
 */
record GgufHeader(int version, GgufMetadata metadata, List<GgufTensorInfo> tensors, int alignment, long dataStart) {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    static final int DEFAULT_ALIGNMENT = 32;
    static final int MAX_ALIGNMENT = 1 << 20; // ggml's cap: larger values only serve to blow up padding
    static final int MAX_NAME_BYTES = 63; // GGML_MAX_NAME = 64 including the NUL
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8; // empty name, 0 dims, type, offset
    private static final int MIN_KV_BYTES = 8 + 1 + 4 + 1; // one-byte key, type, one-byte value

    static GgufHeader read(HeaderReader r) throws IOException {
        String file = r.file();
        if (r.fileSize() < 24) {
            throw new GgufFormatException(file + ": " + r.fileSize() + " bytes is too short for a GGUF header (24 bytes: magic, version, tensor and key counts)");
        }
        int magic = r.u32("magic");
        if (magic != MAGIC) {
            throw r.error(0, "magic is 0x" + Integer.toHexString(magic) + ", expected 'GGUF' (0x46554747): not a GGUF file");
        }
        int version = r.u32("version");
        if ((version & 0xFFFF) == 0 && version != 0) {
            throw r.error(4, "version 0x" + Integer.toHexString(version) + " looks byte-swapped; big-endian GGUF files are not supported (expected version 2 or 3, little-endian)");
        }
        if (version < 2 || version > 3) {
            throw r.error(4, "GGUF version " + Integer.toUnsignedString(version) + " is not supported, expected 2 or 3" + (version == 1 ? " (v1 is obsolete; re-convert the model)" : ""));
        }
        long nTensors = r.u64("tensor count");
        long nKv = r.u64("metadata count");
        if (nTensors < 0 || nTensors > r.remaining() / MIN_TENSOR_INFO_BYTES) {
            throw r.error(8, "tensor count " + Long.toUnsignedString(nTensors) + " cannot fit in the " + r.remaining() + " bytes left");
        }
        if (nKv < 0 || nKv > r.remaining() / MIN_KV_BYTES) {
            throw r.error(16, "metadata count " + Long.toUnsignedString(nKv) + " cannot fit in the " + r.remaining() + " bytes left");
        }
        Map<String, GgufValue> kv = new GgufKvReader(r).readAll(nKv);
        int alignment = alignment(file, kv.get("general.alignment"));
        List<GgufTensorInfo> tensors = readTensorInfos(r, nTensors, alignment);

        long dataStart = nTensors > 0 ? align(r.position(), alignment) : r.position();
        long dataEnd = 0; // end of the last tensor; ggml's mmap loader does not need the last tensor's padding
        if (!tensors.isEmpty()) {
            GgufTensorInfo last = tensors.get(tensors.size() - 1);
            dataEnd = last.offset() + last.byteSize();
        }
        if (dataEnd > r.fileSize() - dataStart) {
            throw new GgufFormatException(file + ": the tensor data needs " + dataEnd + " bytes from offset " + dataStart
                    + ", but the file ends at " + r.fileSize() + " (truncated file?)");
        }
        return new GgufHeader(version, new GgufMetadata(file, kv), List.copyOf(tensors), alignment, dataStart);
    }

    private static int alignment(String file, GgufValue v) throws GgufFormatException {
        if (v == null) return DEFAULT_ALIGNMENT;
        if (v.type() != GgufValueType.UINT32) {
            throw new GgufFormatException(file + ": metadata key 'general.alignment' has type " + v.type() + ", expected UINT32");
        }
        long a = (Long) v.raw();
        if (a == 0 || (a & (a - 1)) != 0 || a > MAX_ALIGNMENT) {
            throw new GgufFormatException(file + ": metadata key 'general.alignment' is " + a + ", expected a power of two up to " + MAX_ALIGNMENT);
        }
        return (int) a;
    }

    /** Byte size of a tensor, checking what ggml checks: element count and size fit in 64 bits, rows whole blocks. */
    private static long checkedBytes(HeaderReader r, long at, String name, long[] ne, GgmlType type) throws GgufFormatException {
        long rowLength = ne.length > 0 ? ne[0] : 1;
        if (rowLength % type.blockSize != 0) {
            throw r.error(at, "tensor '" + name + "' has rows of " + rowLength + " values, expected a multiple of the " + type + " block size " + type.blockSize);
        }
        try {
            long elements = 1;
            for (long d : ne) elements = Math.multiplyExact(elements, d);
            long bytes = type.rowBytes(rowLength);
            for (int d = 1; d < ne.length; d++) bytes = Math.multiplyExact(bytes, ne[d]);
            return bytes;
        } catch (ArithmeticException e) {
            throw r.error(at, "tensor '" + name + "' with ne " + Arrays.toString(ne) + " has more elements or bytes than fit in 64 bits");
        }
    }

    static long align(long x, long a) {
        return x + (a - x % a) % a;
    }

    private static List<GgufTensorInfo> readTensorInfos(HeaderReader r, long count, int alignment) throws IOException {
        List<GgufTensorInfo> tensors = new ArrayList<>();
        Set<String> names = new HashSet<>();
        long expectedOffset = 0;
        for (long i = 0; i < count; i++) {
            long at = r.position();
            String name = r.string("name of tensor " + i, MAX_NAME_BYTES);
            if (!names.add(name)) throw r.error(at, "duplicate tensor name '" + name + "' (tensor " + i + ")");

            long dimsAt = r.position();
            long nDims = Integer.toUnsignedLong(r.u32("dimension count of tensor '" + name + "'"));
            if (nDims > 4) throw r.error(dimsAt, "tensor '" + name + "' has " + nDims + " dimensions, expected at most 4");
            long[] ne = new long[(int) nDims];
            for (int d = 0; d < nDims; d++) {
                long neAt = r.position();
                ne[d] = r.u64("dimension " + d + " of tensor '" + name + "'");
                if (ne[d] < 0) throw r.error(neAt, "tensor '" + name + "' dimension " + d + " is " + Long.toUnsignedString(ne[d]) + ", expected a non-negative int64");
            }

            long typeAt = r.position();
            int typeId = r.u32("type of tensor '" + name + "'");
            GgmlType type = GgmlType.fromId(typeId);
            if (type == null) throw r.error(typeAt, "tensor '" + name + "' has ggml type id " + typeId + ", which lora4j does not know");
            long bytes = checkedBytes(r, at, name, ne, type);
            if (bytes > r.fileSize() - expectedOffset) {
                throw r.error(at, "tensor '" + name + "' (" + type + ", ne " + Arrays.toString(ne) + ") needs " + bytes
                        + " bytes, which cannot fit in the file (" + r.fileSize() + " bytes) after the " + expectedOffset + " bytes of earlier tensors");
            }

            long offsetAt = r.position();
            long offset = r.u64("data offset of tensor '" + name + "'");
            if (offset != expectedOffset) {
                throw r.error(offsetAt, "tensor '" + name + "' has data offset " + Long.toUnsignedString(offset) + ", expected " + expectedOffset
                        + " (offsets must follow each other in tensor-info order, each tensor padded to the alignment " + alignment + ")");
            }
            tensors.add(new GgufTensorInfo(name, ne, type, offset));
            expectedOffset += align(bytes, alignment); // no overflow: both are below the file size
        }
        return tensors;
    }
}
