package io.lora4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Binds the {@code data:} section of a YAML run config to a {@link PrepareConfig}. Strict: an unknown key, a value of
 * the wrong type or an impossible value fails naming the key path (e.g. {@code data.sources[1].format}), the value
 * and what is accepted. Other top-level sections of the run config belong to other stages and are not looked at.
 */
public final class PrepareConfigYaml {
    /** Keys of {@code data:}; {@code prepared} (an already prepared dataset) is the trainer's and is ignored here. */
    static final List<String> DATA_KEYS = List.of("sources", "template", "cutoff_len", "truncate", "val_size", "train_on_inputs", "packing", "seed",
            "dedup", "prepared");
    static final List<String> SOURCE_KEYS = List.of("path", "format", "fields");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private PrepareConfigYaml() {}

    /** The {@code data:} section of the run config file {@code runConfig}. */
    public static PrepareConfig load(Path runConfig) throws IOException {
        if (!Files.isRegularFile(runConfig)) throw new IOException("run config " + runConfig + ": no such file");
        JsonNode root;
        try {
            root = YAML.readTree(runConfig.toFile());
        } catch (IOException e) {
            throw new IOException("run config " + runConfig + ": not valid YAML: " + e.getMessage().split("\n")[0], e);
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("run config " + runConfig + ": expected a mapping of sections");
        if (!root.has("data")) throw new IllegalArgumentException("run config " + runConfig + ": no data: section");
        return bind(root.get("data"));
    }

    /** Binds a {@code data:} section given as YAML text (the section's content, not the whole run config). */
    public static PrepareConfig parse(String dataSectionYaml) throws IOException {
        return bind(YAML.readTree(dataSectionYaml));
    }

    public static PrepareConfig bind(JsonNode data) {
        if (data == null || !data.isObject()) throw new IllegalArgumentException("data: expected a mapping with sources, template, cutoff_len, …");
        for (Iterator<String> it = data.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!DATA_KEYS.contains(k)) throw new IllegalArgumentException("data." + k + ": unknown key; accepted keys: " + String.join(", ", DATA_KEYS));
        }
        JsonNode src = data.get("sources");
        if (src == null || !src.isArray() || src.isEmpty()) throw new IllegalArgumentException("data.sources: expected a non-empty list of {path, format, fields}");
        List<PrepareConfig.Source> sources = new ArrayList<>();
        for (int i = 0; i < src.size(); i++) sources.add(source(src.get(i), "data.sources[" + i + "]"));
        String truncate = string(data, "truncate", "response");
        if (!truncate.equals("response") && !truncate.equals("drop")) {
            throw new IllegalArgumentException("data.truncate = " + truncate + ": expected response or drop");
        }
        return new PrepareConfig(sources, string(data, "template", "alpaca"), (int) integer(data, "cutoff_len", 256, 1, Integer.MAX_VALUE),
                truncate.equals("drop"), number(data, "val_size", 0), bool(data, "train_on_inputs", false), bool(data, "dedup", true),
                integer(data, "seed", 0, Long.MIN_VALUE, Long.MAX_VALUE), bool(data, "packing", false));
    }

    private static PrepareConfig.Source source(JsonNode s, String at) {
        if (s.isTextual()) return new PrepareConfig.Source(s.asText(), "auto", null);
        if (!s.isObject()) throw new IllegalArgumentException(at + ": expected a path or a mapping {path, format, fields}");
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!SOURCE_KEYS.contains(k)) throw new IllegalArgumentException(at + "." + k + ": unknown key; accepted keys: " + String.join(", ", SOURCE_KEYS));
        }
        String path = string(s, "path", null, at);
        if (path == null || path.isBlank()) throw new IllegalArgumentException(at + ".path: required");
        String format = string(s, "format", "auto", at);
        if (!PrepareConfig.FORMATS.contains(format)) throw new IllegalArgumentException(at + ".format = " + format + ": expected auto, alpaca or sharegpt");
        Map<String, String> fields = new LinkedHashMap<>();
        JsonNode f = s.get("fields");
        if (f != null && !f.isNull()) {
            if (!f.isObject()) throw new IllegalArgumentException(at + ".fields: expected a mapping such as {input: context, output: response}");
            for (Iterator<Map.Entry<String, JsonNode>> it = f.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!List.of("instruction", "input", "output").contains(e.getKey())) {
                    throw new IllegalArgumentException(at + ".fields." + e.getKey() + ": unknown field; expected instruction, input or output");
                }
                if (!e.getValue().isTextual()) throw new IllegalArgumentException(at + ".fields." + e.getKey() + ": expected a field name (string)");
                fields.put(e.getKey(), e.getValue().asText());
            }
        }
        return new PrepareConfig.Source(path, format, fields);
    }

    private static String string(JsonNode n, String key, String dflt) {
        return string(n, key, dflt, "data");
    }

    private static String string(JsonNode n, String key, String dflt, String at) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual()) throw new IllegalArgumentException(at + "." + key + " = " + v + ": expected a string");
        return v.asText();
    }

    private static boolean bool(JsonNode n, String key, boolean dflt) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw new IllegalArgumentException("data." + key + " = " + v + ": expected true or false");
        return v.asBoolean();
    }

    private static long integer(JsonNode n, String key, long dflt, long min, long max) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw new IllegalArgumentException("data." + key + " = " + v + ": expected a whole number");
        long x = v.asLong();
        if (x < min || x > max) throw new IllegalArgumentException("data." + key + " = " + x + ": expected " + min + " to " + max);
        return x;
    }

    private static double number(JsonNode n, String key, double dflt) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw new IllegalArgumentException("data." + key + " = " + v + ": expected a number (a count >= 1 or a fraction < 1)");
        return v.asDouble();
    }
}
