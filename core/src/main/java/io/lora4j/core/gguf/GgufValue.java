package io.lora4j.core.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One typed metadata value. Scalars: UINT8/INT8/UINT16/INT16/UINT32/INT32 as {@link Long} or {@link Integer}
 * (unsigned types are widened: UINT8, UINT16 → Integer, UINT32 → Long), UINT64/INT64 → Long, FLOAT32 → Float,
 * FLOAT64 → Double, BOOL → Boolean, STRING → String. Arrays hold a primitive array of the element type
 * (String[] for strings, long[] for UINT32/UINT64/INT64, int[] for the smaller integer types and INT32).
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public GgufValue {
        Objects.requireNonNull(type);
        Objects.requireNonNull(value);
        if (type == GgufValueType.ARRAY && (elementType == null || elementType == GgufValueType.ARRAY)) {
            throw new IllegalArgumentException("GGUF arrays need a scalar or string element type (nested arrays are not read by ggml)");
        }
    }

    public static GgufValue uint8(int v) { return new GgufValue(GgufValueType.UINT8, null, v); }
    public static GgufValue int8(int v) { return new GgufValue(GgufValueType.INT8, null, v); }
    public static GgufValue uint16(int v) { return new GgufValue(GgufValueType.UINT16, null, v); }
    public static GgufValue int16(int v) { return new GgufValue(GgufValueType.INT16, null, v); }
    public static GgufValue uint32(long v) { return new GgufValue(GgufValueType.UINT32, null, v); }
    public static GgufValue int32(int v) { return new GgufValue(GgufValueType.INT32, null, v); }
    public static GgufValue uint64(long v) { return new GgufValue(GgufValueType.UINT64, null, v); }
    public static GgufValue int64(long v) { return new GgufValue(GgufValueType.INT64, null, v); }
    public static GgufValue float32(float v) { return new GgufValue(GgufValueType.FLOAT32, null, v); }
    public static GgufValue float64(double v) { return new GgufValue(GgufValueType.FLOAT64, null, v); }
    public static GgufValue bool(boolean v) { return new GgufValue(GgufValueType.BOOL, null, v); }
    public static GgufValue string(String v) { return new GgufValue(GgufValueType.STRING, null, v); }
    public static GgufValue stringArray(String[] v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING, v); }
    public static GgufValue float32Array(float[] v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.FLOAT32, v); }
    public static GgufValue int32Array(int[] v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.INT32, v); }
    public static GgufValue uint32Array(long[] v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.UINT32, v); }

    /** Number of elements of an array value (1 for scalars). */
    public int length() {
        if (type != GgufValueType.ARRAY) return 1;
        return java.lang.reflect.Array.getLength(value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufValue g && g.type == type && g.elementType == elementType && Objects.deepEquals(g.value, value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, elementType, Arrays.deepHashCode(new Object[] {value}));
    }

    @Override
    public String toString() {
        if (type != GgufValueType.ARRAY) return type + ":" + value;
        int n = length();
        StringBuilder b = new StringBuilder("ARRAY<" + elementType + ">[" + n + "]");
        if (n <= 8) {
            b.append(" [");
            for (int i = 0; i < n; i++) b.append(i > 0 ? ", " : "").append(java.lang.reflect.Array.get(value, i));
            b.append(']');
        }
        return b.toString();
    }
}
