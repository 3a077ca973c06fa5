package io.lora4j.core.config;

import java.util.Arrays;
import java.util.List;

/**
 * Checks for config values as they are bound: an absent key (null) takes its default, a present one is either
 * accepted exactly as written or refused with "key = value: expected …". Nothing is silently replaced.
 */
public final class Check {
    private Check() {}

    public static ConfigException bad(String key, Object value, String expected) {
        return new ConfigException(key + " = " + show(value) + ": expected " + expected);
    }

    /** A whole number ≥ {@code min}; null takes {@code dflt}. */
    public static int atLeast(String key, Integer v, int min, int dflt) {
        if (v == null) return dflt;
        if (v < min) throw bad(key, v, "a whole number >= " + min);
        return v;
    }

    public static long atLeast(String key, Long v, long min, long dflt) {
        if (v == null) return dflt;
        if (v < min) throw bad(key, v, "a whole number >= " + min);
        return v;
    }

    /** A finite number in [lo, hi) ({@code hiOpen}) or [lo, hi]; null takes {@code dflt}. */
    public static double range(String key, Double v, double lo, double hi, boolean hiOpen, double dflt) {
        if (v == null) return dflt;
        boolean ok = Double.isFinite(v) && v >= lo && (hiOpen ? v < hi : v <= hi);
        if (!ok) throw bad(key, v, "a number in [" + fmt(lo) + ", " + fmt(hi) + (hiOpen ? ")" : "]"));
        return v;
    }

    /** A finite number &gt; 0; null takes {@code dflt}. */
    public static double positive(String key, Double v, double dflt) {
        if (v == null) return dflt;
        if (!(v > 0) || !Double.isFinite(v)) throw bad(key, v, "a number > 0");
        return v;
    }

    /** A finite number ≥ 0; null takes {@code dflt}. */
    public static double nonNegative(String key, Double v, double dflt) {
        if (v == null) return dflt;
        if (!(v >= 0) || !Double.isFinite(v)) throw bad(key, v, "a number >= 0");
        return v;
    }

    public static String required(String key, String v) {
        if (v == null || v.isBlank()) throw new ConfigException(key + " is required");
        return v;
    }

    /** The values of an enum the way configs spell them (lower case). */
    public static <E extends Enum<E>> List<String> names(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(java.util.Locale.ROOT)).toList();
    }

    private static String show(Object v) {
        return v instanceof String s ? "'" + s + "'" : String.valueOf(v);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
