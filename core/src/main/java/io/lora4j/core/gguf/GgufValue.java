package io.lora4j.core.gguf;

import java.lang.reflect.Array;
import java.util.Arrays;
import java.util.Objects;

/**
 * One typed metadata value; immutable (arrays are copied in and out).
 *
 * <p>Java representation, checked by the constructor:
 * <ul>
 *   <li>UINT8, INT8, UINT16, INT16, INT32 → {@link Integer} (range-checked for the GGUF type); UINT32 → {@link Long}
 *       in [0, 2^32); INT64 → {@link Long}; UINT64 → {@link Long} holding the raw 64 bits (negative means ≥ 2^63).
 *   <li>FLOAT32 → {@link Float}, FLOAT64 → {@link Double}, BOOL → {@link Boolean}, STRING → {@link String}.
 *   <li>ARRAY → a Java array by element type: {@code int[]} for UINT8/INT8/UINT16/INT16/INT32, {@code long[]} for
 *       UINT32/UINT64/INT64, {@code float[]}, {@code double[]}, {@code boolean[]}, {@code String[]}. Nested arrays
 *       are not allowed: ggml cannot read them.
 * </ul>
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        if (type == GgufValueType.ARRAY) {
            if (elementType == null || elementType == GgufValueType.ARRAY) {
                throw new IllegalArgumentException("GGUF arrays need a scalar or string element type (nested arrays are not read by ggml)");
            }
            value = GgufValueCheck.copyArray(elementType, value);
        } else {
            if (elementType != null) throw new IllegalArgumentException(type + " is not an array; elementType must be null");
            GgufValueCheck.scalar(type, value);
        }
    }

    public static GgufValue uint8(int v) { return new GgufValue(GgufValueType.UINT8, null, v); }
    public static GgufValue int8(int v) { return new GgufValue(GgufValueType.INT8, null, v); }
    public static GgufValue uint16(int v) { return new GgufValue(GgufValueType.UINT16, null, v); }
    public static GgufValue int16(int v) { return new GgufValue(GgufValueType.INT16, null, v); }
    public static GgufValue uint32(long v) { return new GgufValue(GgufValueType.UINT32, null, v); }
    public static GgufValue int32(int v) { return new GgufValue(GgufValueType.INT32, null, v); }
    /** {@code v} is the raw 64 bits: pass a negative long for values ≥ 2^63. */
    public static GgufValue uint64(long v) { return new GgufValue(GgufValueType.UINT64, null, v); }
    public static GgufValue int64(long v) { return new GgufValue(GgufValueType.INT64, null, v); }
    public static GgufValue float32(float v) { return new GgufValue(GgufValueType.FLOAT32, null, v); }
    public static GgufValue float64(double v) { return new GgufValue(GgufValueType.FLOAT64, null, v); }
    public static GgufValue bool(boolean v) { return new GgufValue(GgufValueType.BOOL, null, v); }
    public static GgufValue string(String v) { return new GgufValue(GgufValueType.STRING, null, v); }

    public static GgufValue uint8Array(int[] v) { return array(GgufValueType.UINT8, v); }
    public static GgufValue int8Array(int[] v) { return array(GgufValueType.INT8, v); }
    public static GgufValue uint16Array(int[] v) { return array(GgufValueType.UINT16, v); }
    public static GgufValue int16Array(int[] v) { return array(GgufValueType.INT16, v); }
    public static GgufValue uint32Array(long[] v) { return array(GgufValueType.UINT32, v); }
    /** UINT32 array from non-negative ints (token ids and the like). */
    public static GgufValue uint32Array(int[] v) { return array(GgufValueType.UINT32, Arrays.stream(v).asLongStream().toArray()); }
    public static GgufValue int32Array(int[] v) { return array(GgufValueType.INT32, v); }
    public static GgufValue uint64Array(long[] v) { return array(GgufValueType.UINT64, v); }
    public static GgufValue int64Array(long[] v) { return array(GgufValueType.INT64, v); }
    public static GgufValue float32Array(float[] v) { return array(GgufValueType.FLOAT32, v); }
    public static GgufValue float64Array(double[] v) { return array(GgufValueType.FLOAT64, v); }
    public static GgufValue boolArray(boolean[] v) { return array(GgufValueType.BOOL, v); }
    public static GgufValue stringArray(String[] v) { return array(GgufValueType.STRING, v); }

    private static GgufValue array(GgufValueType element, Object v) {
        return new GgufValue(GgufValueType.ARRAY, element, v);
    }

    /** The value; arrays are returned as a copy, so the metadata stays immutable. */
    @Override
    public Object value() {
        return type == GgufValueType.ARRAY ? GgufValueCheck.clone(value) : value;
    }

    /** The held object without copying, for the writer and the typed getters that copy themselves. */
    Object raw() {
        return value;
    }

    /** Number of elements of an array value (1 for scalars). */
    public int length() {
        return type == GgufValueType.ARRAY ? Array.getLength(value) : 1;
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
            for (int i = 0; i < n; i++) b.append(i > 0 ? ", " : "").append(Array.get(value, i));
            b.append(']');
        }
        return b.toString();
    }
}
