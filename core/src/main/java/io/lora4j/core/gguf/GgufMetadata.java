package io.lora4j.core.gguf;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key/value section of a GGUF file, in file order, immutable. The typed getters are strict like llama.cpp's (the
 * stored type must be the one asked for) and name the file and key when a key is missing or has another type;
 * {@link #getInteger} accepts any integer type. Array getters return copies.
 */
public final class GgufMetadata {
    private final String source;
    private final Map<String, GgufValue> values;

    public GgufMetadata(String source, Map<String, GgufValue> values) {
        this.source = source;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** Where the metadata came from (a file path), used in error messages. */
    public String source() {
        return source;
    }

    public Map<String, GgufValue> asMap() {
        return values;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    public Optional<GgufValue> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    private GgufValue require(String key, GgufValueType type, GgufValueType element) throws GgufFormatException {
        GgufValue v = values.get(key);
        if (v == null) throw new GgufFormatException(source + ": metadata key '" + key + "' is missing (expected " + describe(type, element) + ")");
        if (v.type() != type || (element != null && v.elementType() != element)) {
            throw new GgufFormatException(source + ": metadata key '" + key + "' has type " + describe(v.type(), v.elementType())
                    + ", expected " + describe(type, element));
        }
        return v;
    }

    private static String describe(GgufValueType t, GgufValueType e) {
        return t == GgufValueType.ARRAY ? "ARRAY<" + e + ">" : t.toString();
    }

    public String getString(String key) throws GgufFormatException {
        return (String) require(key, GgufValueType.STRING, null).raw();
    }

    public long getUInt32(String key) throws GgufFormatException {
        return (Long) require(key, GgufValueType.UINT32, null).raw();
    }

    public int getInt32(String key) throws GgufFormatException {
        return (Integer) require(key, GgufValueType.INT32, null).raw();
    }

    public float getFloat32(String key) throws GgufFormatException {
        return (Float) require(key, GgufValueType.FLOAT32, null).raw();
    }

    public boolean getBool(String key) throws GgufFormatException {
        return (Boolean) require(key, GgufValueType.BOOL, null).raw();
    }

    public String[] getStringArray(String key) throws GgufFormatException {
        return ((String[]) require(key, GgufValueType.ARRAY, GgufValueType.STRING).raw()).clone();
    }

    public float[] getFloat32Array(String key) throws GgufFormatException {
        return ((float[]) require(key, GgufValueType.ARRAY, GgufValueType.FLOAT32).raw()).clone();
    }

    public int[] getInt32Array(String key) throws GgufFormatException {
        return ((int[]) require(key, GgufValueType.ARRAY, GgufValueType.INT32).raw()).clone();
    }

    /** Any integer-typed scalar as a long (for keys whose writers disagree on the integer type). */
    public long getInteger(String key) throws GgufFormatException {
        GgufValue v = values.get(key);
        if (v == null) throw new GgufFormatException(source + ": metadata key '" + key + "' is missing (expected an integer)");
        if (!v.type().isInteger()) {
            throw new GgufFormatException(source + ": metadata key '" + key + "' has type " + describe(v.type(), v.elementType()) + ", expected an integer");
        }
        long x = ((Number) v.raw()).longValue();
        if (v.type() == GgufValueType.UINT64 && x < 0) {
            throw new GgufFormatException(source + ": metadata key '" + key + "' is UINT64 " + Long.toUnsignedString(x) + ", more than a signed 64-bit integer holds");
        }
        return x;
    }

    public long getInteger(String key, long fallback) throws GgufFormatException {
        return contains(key) ? getInteger(key) : fallback;
    }

    public float getFloat32(String key, float fallback) throws GgufFormatException {
        return contains(key) ? getFloat32(key) : fallback;
    }

    public String getString(String key, String fallback) throws GgufFormatException {
        return contains(key) ? getString(key) : fallback;
    }

    public boolean getBool(String key, boolean fallback) throws GgufFormatException {
        return contains(key) ? getBool(key) : fallback;
    }

    public long getUInt32(String key, long fallback) throws GgufFormatException {
        return contains(key) ? getUInt32(key) : fallback;
    }

    public int getInt32(String key, int fallback) throws GgufFormatException {
        return contains(key) ? getInt32(key) : fallback;
    }

    /** An integer array of any integer element type, widened to long (UINT64 elements are raw bits). */
    public long[] getIntegerArray(String key) throws GgufFormatException {
        GgufValue v = values.get(key);
        if (v == null) throw new GgufFormatException(source + ": metadata key '" + key + "' is missing (expected an integer array)");
        if (v.type() != GgufValueType.ARRAY || !v.elementType().isInteger()) {
            throw new GgufFormatException(source + ": metadata key '" + key + "' has type " + describe(v.type(), v.elementType()) + ", expected an integer array");
        }
        if (v.raw() instanceof long[] l) return l.clone();
        return Arrays.stream((int[]) v.raw()).asLongStream().toArray();
    }
}
