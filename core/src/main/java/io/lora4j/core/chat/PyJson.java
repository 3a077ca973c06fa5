package io.lora4j.core.chat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=…, separators=…, sort_keys=False)}, which is what the
 * {@code tojson} filter of transformers' chat templates calls: key order kept, non-ASCII written as is, separators
 * ", " and ": " without indent and "," and ": " with it, floats as Python's repr (1e-05, 1.0, 1e+16).
 */
final class PyJson {
    private final String indent;
    private final String itemSeparator, keySeparator;

    /** {@code indent} null for one line; {@code separators} null for Python's defaults. */
    PyJson(Integer indent, String itemSeparator, String keySeparator) {
        this.indent = indent == null ? null : " ".repeat(Math.max(0, indent));
        this.itemSeparator = itemSeparator != null ? itemSeparator : indent == null ? ", " : ",";
        this.keySeparator = keySeparator != null ? keySeparator : ": ";
    }

    static String dumps(Object value) {
        return new PyJson(null, null, null).write(value);
    }

    String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, 0, out);
        return out.toString();
    }

    private void write(Object v, int depth, StringBuilder out) {
        if (v == null || v instanceof PyNone) {
            out.append("null");
        } else if (v instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            out.append(floatRepr(((Number) v).doubleValue()));
        } else if (v instanceof BigDecimal d) {
            out.append(floatRepr(d.doubleValue()));
        } else if (v instanceof Number n) {
            out.append(n instanceof BigInteger ? n.toString() : Long.toString(n.longValue()));
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) out.append(itemSeparator);
                first = false;
                newline(depth + 1, out);
                string(String.valueOf(e.getKey()), out);
                out.append(keySeparator);
                write(e.getValue(), depth + 1, out);
            }
            newline(depth, out);
            out.append('}');
        } else if (v instanceof Iterable<?> list) {
            if (!list.iterator().hasNext()) {
                out.append("[]");
                return;
            }
            out.append('[');
            boolean first = true;
            for (Object x : list) {
                if (!first) out.append(itemSeparator);
                first = false;
                newline(depth + 1, out);
                write(x, depth + 1, out);
            }
            newline(depth, out);
            out.append(']');
        } else if (v instanceof Object[] array) {
            write(java.util.Arrays.asList(array), depth, out);
        } else {
            string(v.toString(), out);
        }
    }

    private void newline(int depth, StringBuilder out) {
        if (indent == null) return;
        out.append('\n');
        for (int i = 0; i < depth; i++) out.append(indent);
    }

    /** A JSON string as Python writes it with ensure_ascii=False: only '"', '\\' and control characters are escaped. */
    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        out.append('"');
    }

    /** Python's float repr: shortest round-trip digits, exponent form below 1e-4 and from 1e16 ("1e-05", "1e+16"). */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = b.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - b.scale(); // decimal exponent of the first digit
        String sign = d < 0 ? "-" : "";
        if (exp < -4 || exp >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
        }
        String plain = b.abs().toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }
}
