package io.lora4j.core.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The safetensors files of a Hugging Face model directory: a single {@code model.safetensors}, or shards listed in
 * {@code model.safetensors.index.json} ({@code weight_map}: tensor name → shard file).
 */
public final class ShardedSafetensors implements AutoCloseable {
    public static final String INDEX = "model.safetensors.index.json";
    public static final String SINGLE = "model.safetensors";
    private final Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
    private final List<SafetensorsFile> files = new ArrayList<>();

    public static ShardedSafetensors open(Path dir) throws IOException {
        ShardedSafetensors s = new ShardedSafetensors();
        try {
            Path index = dir.resolve(INDEX);
            if (Files.exists(index)) {
                JsonNode map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
                if (!map.isObject()) throw new SafetensorsFormatException(index + ": no weight_map object");
                Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String shard = e.getValue().asText();
                    if (shard.contains("/") || shard.contains("..")) throw new SafetensorsFormatException(index + ": shard name '" + shard + "' must be a file in the same directory");
                    SafetensorsFile f = shards.get(shard);
                    if (f == null) {
                        Path p = dir.resolve(shard);
                        if (!Files.exists(p)) throw new SafetensorsFormatException(index + ": tensor '" + e.getKey() + "' is in shard '" + shard + "', which does not exist");
                        f = SafetensorsFile.open(p);
                        shards.put(shard, f);
                        s.files.add(f);
                    }
                    if (f.tensor(e.getKey()).isEmpty()) throw new SafetensorsFormatException(index + ": tensor '" + e.getKey() + "' is not in its shard '" + shard + "'");
                    s.byTensor.put(e.getKey(), f);
                }
            } else if (Files.exists(dir.resolve(SINGLE))) {
                SafetensorsFile f = SafetensorsFile.open(dir.resolve(SINGLE));
                s.files.add(f);
                for (SafetensorsTensor t : f.tensors()) s.byTensor.put(t.name(), f);
            } else {
                throw new SafetensorsFormatException(dir + ": neither " + SINGLE + " nor " + INDEX + " is present");
            }
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    public Set<String> names() {
        return byTensor.keySet();
    }

    public SafetensorsTensor tensor(String name) throws IOException {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) throw new SafetensorsFormatException("no tensor '" + name + "' in the safetensors files");
        return f.tensor(name).orElseThrow();
    }

    public float[] readFloats(String name) throws IOException {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) throw new SafetensorsFormatException("no tensor '" + name + "' in the safetensors files");
        return f.readFloats(name);
    }

    /** Float tensors to write, in order. */
    public record NamedFloats(String name, long[] shape, float[] values) {}

    /**
     * Writes {@code model.safetensors}, or when the data exceeds {@code maxShardBytes}, shards
     * {@code model-0000k-of-0000n.safetensors} plus the index.
     */
    public static void write(Path dir, List<NamedFloats> tensors, SafetensorsDType dtype, long maxShardBytes) throws IOException {
        Files.createDirectories(dir);
        List<List<NamedFloats>> shards = new ArrayList<>();
        List<NamedFloats> current = new ArrayList<>();
        long bytes = 0, total = 0;
        for (NamedFloats t : tensors) {
            long b = (long) t.values().length * dtype.size;
            if (!current.isEmpty() && bytes + b > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(t);
            bytes += b;
            total += b;
        }
        if (!current.isEmpty()) shards.add(current);
        if (shards.size() <= 1) {
            writeShard(dir.resolve(SINGLE), current, dtype);
            return;
        }
        ObjectNode index = new ObjectMapper().createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            writeShard(dir.resolve(name), shards.get(i), dtype);
            for (NamedFloats t : shards.get(i)) map.put(t.name(), name);
        }
        Files.writeString(dir.resolve(INDEX), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(index));
    }

    private static void writeShard(Path p, List<NamedFloats> tensors, SafetensorsDType dtype) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (NamedFloats t : tensors) w.putFloats(t.name(), t.shape(), t.values(), dtype);
        w.write(p);
    }

    @Override
    public void close() throws IOException {
        for (SafetensorsFile f : files) f.close();
    }
}
