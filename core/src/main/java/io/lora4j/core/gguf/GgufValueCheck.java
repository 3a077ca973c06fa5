package io.lora4j.core.gguf;

import java.util.Objects;

/** Checks that a Java object matches the representation {@link GgufValue} documents for a GGUF type. */
final class GgufValueCheck {
    private GgufValueCheck() {}

    static void scalar(GgufValueType t, Object v) {
        switch (t) {
            case UINT8, INT8, UINT16, INT16, INT32 -> range(t, expect(t, v, Integer.class).longValue(), "");
            case UINT32 -> range(t, expect(t, v, Long.class), "");
            case UINT64, INT64 -> expect(t, v, Long.class);
            case FLOAT32 -> expect(t, v, Float.class);
            case FLOAT64 -> expect(t, v, Double.class);
            case BOOL -> expect(t, v, Boolean.class);
            case STRING -> expect(t, v, String.class);
            case ARRAY -> throw new IllegalArgumentException("ARRAY is not a scalar type");
        }
    }

    /** Checks an array of {@code element} values and returns a private copy of it. */
    static Object copyArray(GgufValueType element, Object arr) {
        switch (element) {
            case UINT8, INT8, UINT16, INT16, INT32 -> {
                int[] a = expect(element, arr, int[].class).clone();
                for (int i = 0; i < a.length; i++) range(element, a[i], " at index " + i);
                return a;
            }
            case UINT32, UINT64, INT64 -> {
                long[] a = expect(element, arr, long[].class).clone();
                if (element == GgufValueType.UINT32) for (int i = 0; i < a.length; i++) range(element, a[i], " at index " + i);
                return a;
            }
            case FLOAT32 -> { return expect(element, arr, float[].class).clone(); }
            case FLOAT64 -> { return expect(element, arr, double[].class).clone(); }
            case BOOL -> { return expect(element, arr, boolean[].class).clone(); }
            case STRING -> {
                String[] a = expect(element, arr, String[].class).clone();
                for (int i = 0; i < a.length; i++) Objects.requireNonNull(a[i], "string array element " + i);
                return a;
            }
            default -> throw new IllegalArgumentException("nested arrays are not supported (ggml cannot read them)");
        }
    }

    static Object clone(Object arr) {
        if (arr instanceof int[] a) return a.clone();
        if (arr instanceof long[] a) return a.clone();
        if (arr instanceof float[] a) return a.clone();
        if (arr instanceof double[] a) return a.clone();
        if (arr instanceof boolean[] a) return a.clone();
        return ((String[]) arr).clone();
    }

    private static <T> T expect(GgufValueType t, Object v, Class<T> c) {
        if (!c.isInstance(v)) {
            throw new IllegalArgumentException(t + " values are held as " + c.getSimpleName() + ", got " + v.getClass().getSimpleName());
        }
        return c.cast(v);
    }

    private static void range(GgufValueType t, long v, String where) {
        if (v < t.min() || v > t.max()) {
            throw new IllegalArgumentException(v + where + " is outside the range of " + t + " [" + t.min() + ", " + t.max() + "]");
        }
    }
}
