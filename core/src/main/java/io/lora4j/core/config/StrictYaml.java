package io.lora4j.core.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Reads YAML configs strictly and binds them once into typed records: unknown keys, duplicate keys, wrong types
 * (no "8" for 8, no 8.5 for a whole number) and impossible values fail before anything runs, with the file, the key
 * path, the value and what is allowed. Also: {@code --set key.path=value} overrides, relative paths resolved against
 * the config file's directory, and a canonical serialization (sorted keys) for stage hashes.
 */
public final class StrictYaml {
    private static final YAMLMapper YAML = YAMLMapper.builder(YAMLFactory.builder().build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            // a number or boolean where text is expected (name: 3) is refused too, not turned into "3"
            .withCoercionConfig(com.fasterxml.jackson.databind.type.LogicalType.Textual, c -> c
                    .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Integer, com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
                    .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Float, com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
                    .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Boolean, com.fasterxml.jackson.databind.cfg.CoercionAction.Fail))
            .build();
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private StrictYaml() {}

    /** The YAML mapping in {@code file}; a missing file, a directory or malformed YAML (with line and column) fail. */
    public static ObjectNode read(Path file) throws IOException {
        if (!Files.exists(file)) throw new ConfigException("config file " + file + " does not exist");
        if (Files.isDirectory(file)) throw new ConfigException("config file " + file + " is a directory, expected a YAML file");
        JsonNode tree;
        try {
            tree = YAML.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": not valid YAML" + at(e) + ": " + e.getOriginalMessage().split("\n")[0], e);
        }
        if (tree == null || tree.isMissingNode()) throw new ConfigException(file + ": the file is empty, expected a YAML mapping of sections");
        if (!tree.isObject()) throw new ConfigException(file + ": expected a YAML mapping of sections at the top level");
        return (ObjectNode) tree;
    }

    /** YAML text (for tests and for configs passed between processes). */
    public static ObjectNode parse(String yaml, String source) {
        try {
            JsonNode tree = YAML.readTree(yaml);
            if (tree == null || !tree.isObject()) throw new ConfigException(source + ": expected a YAML mapping");
            return (ObjectNode) tree;
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid YAML" + at(e) + ": " + e.getOriginalMessage().split("\n")[0], e);
        }
    }

    private static String at(JsonProcessingException e) {
        return e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
    }

    /** Binds {@code tree} to {@code type}; every failure is a {@link ConfigException} naming {@code source} and the key path. */
    public static <T> T bind(JsonNode tree, Class<T> type, String source) {
        try {
            return YAML.treeToValue(tree, type);
        } catch (ValueInstantiationException e) {
            Throwable c = e.getCause();
            if (c instanceof IllegalArgumentException) throw new ConfigException(source + ": " + c.getMessage(), c);
            throw new ConfigException(source + ": " + path(e) + ": " + e.getOriginalMessage().split("\n")[0], e);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException(source + ": " + path(e) + ": unknown key '" + e.getPropertyName() + "'; allowed here: "
                    + e.getKnownPropertyIds(), e);
        } catch (MismatchedInputException e) {
            String p = path(e);
            throw new ConfigException(source + ": " + p + " = " + valueAt(tree, e) + ": expected " + expected(e.getTargetType()), e);
        } catch (JsonMappingException e) {
            throw new ConfigException(source + ": " + path(e) + ": " + e.getOriginalMessage().split("\n")[0], e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": " + e.getOriginalMessage().split("\n")[0], e);
        }
    }

    /** "a whole number", "a number", "one of [a, b]", … for the Java type a key binds to. */
    static String expected(Class<?> t) {
        if (t == null) return "another type";
        if (t == Integer.class || t == int.class || t == Long.class || t == long.class) return "a whole number";
        if (t == Double.class || t == double.class || t == Float.class || t == float.class) return "a number";
        if (t == Boolean.class || t == boolean.class) return "true or false";
        if (t == String.class) return "a string";
        if (t.isEnum()) return "one of " + enumNames(t);
        if (Collection.class.isAssignableFrom(t) || t.isArray()) return "a list";
        return "a mapping";
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static List<String> enumNames(Class<?> t) {
        return Check.names((Class) t);
    }

    private static String path(JsonMappingException e) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) b.append(b.length() == 0 ? "" : ".").append(r.getFieldName());
            else if (r.getIndex() >= 0) b.append('[').append(r.getIndex()).append(']');
        }
        return b.length() == 0 ? "(top level)" : b.toString();
    }

    private static String valueAt(JsonNode tree, JsonMappingException e) {
        JsonNode n = tree;
        for (JsonMappingException.Reference r : e.getPath()) {
            if (n == null) break;
            n = r.getFieldName() != null ? n.get(r.getFieldName()) : r.getIndex() >= 0 ? n.get(r.getIndex()) : n;
        }
        if (n == null) return "(absent)";
        if (n.isTextual()) return "'" + n.asText() + "'";
        return n.toString();
    }

    /** {@code a.b.c=value}: the value parsed as YAML (numbers, booleans, lists), the path created as needed. */
    public static void set(ObjectNode root, String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) throw new ConfigException("--set " + assignment + ": expected key.path=value");
        String[] keys = assignment.substring(0, eq).split("\\.");
        String text = assignment.substring(eq + 1);
        JsonNode value;
        try {
            value = text.isEmpty() ? TextNode.valueOf("") : YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigException("--set " + assignment + ": the value is not valid YAML: " + e.getOriginalMessage().split("\n")[0], e);
        }
        ObjectNode node = root;
        for (int i = 0; i < keys.length - 1; i++) {
            JsonNode child = node.get(keys[i]);
            if (child == null || child.isNull()) child = node.putObject(keys[i]);
            if (!child.isObject()) throw new ConfigException("--set " + assignment + ": " + String.join(".", java.util.Arrays.copyOf(keys, i + 1))
                    + " is not a section");
            node = (ObjectNode) child;
        }
        node.set(keys[keys.length - 1], value);
    }

    /**
     * Makes the relative local paths at {@code pointers} absolute against {@code dir} (the config file's directory).
     * A pointer is a key path whose {@code *} segments stand for every element of a list: "data.sources.*.path".
     * URIs with a scheme (hdfs:, s3a:, file:) and absolute paths are left as they are.
     */
    public static void resolvePaths(ObjectNode root, Path dir, List<String> pointers) {
        for (String p : pointers) resolve(root, p.split("\\."), 0, dir);
    }

    private static void resolve(JsonNode node, String[] keys, int i, Path dir) {
        if (node == null) return;
        String k = keys[i];
        if (k.equals("*")) {
            if (!(node instanceof ArrayNode a)) return;
            for (int j = 0; j < a.size(); j++) {
                if (i == keys.length - 1) {
                    if (a.get(j).isTextual()) a.set(j, TextNode.valueOf(absolute(a.get(j).asText(), dir)));
                } else {
                    resolve(a.get(j), keys, i + 1, dir);
                }
            }
            return;
        }
        if (!(node instanceof ObjectNode o)) {
            // a list element given as a plain path ("sources: [a.json]") stands for its "path" key
            return;
        }
        JsonNode child = o.get(k);
        if (i == keys.length - 1) {
            if (child != null && child.isTextual()) o.set(k, TextNode.valueOf(absolute(child.asText(), dir)));
        } else {
            resolve(child, keys, i + 1, dir);
        }
    }

    /** {@code s} against {@code dir} when it is a relative local path. */
    public static String absolute(String s, Path dir) {
        if (s.isBlank() || s.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*")) return s;
        Path p = Path.of(s);
        return p.isAbsolute() ? s : dir.resolve(p).normalize().toString();
    }

    /** Sorted-key JSON of a bound config: the same settings always give the same text, whatever the YAML's order. */
    public static String canonical(Object config) {
        try {
            return CANONICAL.writeValueAsString(CANONICAL.readTree(CANONICAL.writeValueAsString(config)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The config as YAML (what a run directory's config.yaml holds). */
    public static String toYaml(Object config) {
        try {
            return YAML.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A flat view of a canonical config: "train.lr" → "0.001", for naming each key that differs between two configs. */
    public static Map<String, String> flatten(String canonicalJson) {
        Map<String, String> out = new java.util.TreeMap<>();
        try {
            flatten(CANONICAL.readTree(canonicalJson), "", out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static void flatten(JsonNode n, String prefix, Map<String, String> out) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> flatten(e.getValue(), prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), out));
        } else {
            out.put(prefix, n.isTextual() ? n.asText() : n.toString());
        }
    }

    /** A bound config as a mutable map of its keys (to leave some out of a canonical form). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> toMap(Object config) {
        return new java.util.LinkedHashMap<>(CANONICAL.convertValue(config, Map.class));
    }
}
