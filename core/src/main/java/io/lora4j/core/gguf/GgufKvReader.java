package io.lora4j.core.gguf;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the key/value section with ggml's rules: non-empty unique keys, known value types, no nested arrays, string
 * lengths capped at 1 GiB and array counts at 1 Gi elements, both also checked against the bytes left in the file.
 */
final class GgufKvReader {
    static final long MAX_STRING = 1L << 30;
    static final long MAX_ARRAY = 1L << 30;
    /** The GGUF spec limits keys to 65535 bytes. */
    static final long MAX_KEY = 65535;

    private final HeaderReader r;

    GgufKvReader(HeaderReader r) {
        this.r = r;
    }

    Map<String, GgufValue> readAll(long count) throws IOException {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            long at = r.position();
            String key = r.string("key of metadata entry " + i, MAX_KEY);
            if (key.isEmpty()) throw r.error(at, "metadata entry " + i + " has an empty key");
            if (kv.containsKey(key)) throw r.error(at, "duplicate metadata key '" + key + "' (entry " + i + ")");
            kv.put(key, value(key));
        }
        return kv;
    }

    private GgufValue value(String key) throws IOException {
        long at = r.position();
        int typeId = r.u32("value type of '" + key + "'");
        GgufValueType type = GgufValueType.fromId(typeId);
        if (type == null) throw r.error(at, "metadata key '" + key + "' has unknown value type " + typeId + ", expected 0..12");
        if (type != GgufValueType.ARRAY) return new GgufValue(type, null, scalar(type, key));

        at = r.position();
        int elemId = r.u32("element type of '" + key + "'");
        GgufValueType elem = GgufValueType.fromId(elemId);
        if (elem == null) throw r.error(at, "metadata key '" + key + "' has unknown array element type " + elemId + ", expected 0..12");
        if (elem == GgufValueType.ARRAY) throw r.error(at, "metadata key '" + key + "' is a nested array, which ggml does not read");

        at = r.position();
        long count = r.u64("element count of '" + key + "'");
        long minBytes = elem == GgufValueType.STRING ? 8 : elem.size; // a string needs at least its u64 length
        if (count < 0 || count > MAX_ARRAY || count > r.remaining() / minBytes) {
            throw r.error(at, "metadata key '" + key + "' claims " + Long.toUnsignedString(count) + " elements of " + elem
                    + ", expected at most " + Math.min(MAX_ARRAY, r.remaining() / minBytes) + " (limit " + MAX_ARRAY
                    + " and " + r.remaining() + " bytes left in the file)");
        }
        return new GgufValue(GgufValueType.ARRAY, elem, array(elem, (int) count, key));
    }

    private Object array(GgufValueType elem, int n, String key) throws IOException {
        switch (elem) {
            case STRING -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) a[i] = r.string("element " + i + " of '" + key + "'", MAX_STRING);
                return a;
            }
            case FLOAT32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) a[i] = r.f32(key);
                return a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) a[i] = r.f64(key);
                return a;
            }
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) a[i] = r.u8(key) != 0;
                return a;
            }
            case UINT32, UINT64, INT64 -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) a[i] = ((Number) scalar(elem, key)).longValue();
                return a;
            }
            default -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) a[i] = (Integer) scalar(elem, key);
                return a;
            }
        }
    }

    /** One scalar in the representation {@link GgufValue} documents. */
    private Object scalar(GgufValueType t, String key) throws IOException {
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
            case BOOL -> r.u8(key) != 0; // ggml treats any non-zero byte as true
            case STRING -> r.string("value of '" + key + "'", MAX_STRING);
            case ARRAY -> throw new IllegalStateException("arrays are read by value()");
        };
    }
}
