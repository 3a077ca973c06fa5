package io.lora4j.core.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The key/value section of a GGUF file, in file order, with typed getters that name the key when it is missing or mistyped. */
public final class GgufMetadata {
    private final String source;
    private final Map<String, GgufValue> values;

    public GgufMetadata(String source, Map<String, GgufValue> values) {
        this.source = source;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
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
        return (String) require(key, GgufValueType.STRING, null).value();
    }

    public long getUInt32(String key) throws GgufFormatException {
        return (Long) require(key, GgufValueType.UINT32, null).value();
    }

    public int getInt32(String key) throws GgufFormatException {
        return (Integer) require(key, GgufValueType.INT32, null).value();
    }

    public float getFloat32(String key) throws GgufFormatException {
        return (Float) require(key, GgufValueType.FLOAT32, null).value();
    }

    public boolean getBool(String key) throws GgufFormatException {
        return (Boolean) require(key, GgufValueType.BOOL, null).value();
    }

    public String[] getStringArray(String key) throws GgufFormatException {
        return (String[]) require(key, GgufValueType.ARRAY, GgufValueType.STRING).value();
    }

    public float[] getFloat32Array(String key) throws GgufFormatException {
        return (float[]) require(key, GgufValueType.ARRAY, GgufValueType.FLOAT32).value();
    }

    public int[] getInt32Array(String key) throws GgufFormatException {
        return (int[]) require(key, GgufValueType.ARRAY, GgufValueType.INT32).value();
    }

    /** Any integer-typed scalar as a long (for keys whose writers disagree on the integer type). */
    public long getInteger(String key) throws GgufFormatException {
        GgufValue v = values.get(key);
        if (v == null) throw new GgufFormatException(source + ": metadata key '" + key + "' is missing (expected an integer)");
        if (v.value() instanceof Integer i) return i;
        if (v.value() instanceof Long l) return l;
        throw new GgufFormatException(source + ": metadata key '" + key + "' has type " + describe(v.type(), v.elementType()) + ", expected an integer");
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

    /** An integer array of any integer element type, widened to long. */
    public long[] getIntegerArray(String key) throws GgufFormatException {
        GgufValue v = values.get(key);
        if (v == null || v.type() != GgufValueType.ARRAY) throw new GgufFormatException(source + ": metadata key '" + key + "' is missing or not an array");
        if (v.value() instanceof long[] l) return l;
        if (v.value() instanceof int[] i) return java.util.Arrays.stream(i).asLongStream().toArray();
        throw new GgufFormatException(source + ": metadata key '" + key + "' is ARRAY<" + v.elementType() + ">, expected integers");
    }
}
