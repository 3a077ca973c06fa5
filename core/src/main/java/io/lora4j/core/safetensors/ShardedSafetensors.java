package io.lora4j.core.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The safetensors files of a Hugging Face model directory: shards listed in {@code model.safetensors.index.json}
 * ({@code weight_map}: tensor name → shard file in the same directory), or else a single {@code model.safetensors}.
 */
public final class ShardedSafetensors implements AutoCloseable {
    public static final String INDEX = "model.safetensors.index.json";
    public static final String SINGLE = "model.safetensors";
    private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private final Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
    private final List<SafetensorsFile> files = new ArrayList<>();

    public static ShardedSafetensors open(Path dir) throws IOException {
        ShardedSafetensors s = new ShardedSafetensors();
        try {
            if (Files.exists(dir.resolve(INDEX))) {
                s.openShards(dir);
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

    private void openShards(Path dir) throws IOException {
        Path index = dir.resolve(INDEX);
        JsonNode map;
        try {
            map = JSON.readTree(index.toFile()).path("weight_map");
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(index + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (!map.isObject()) throw new SafetensorsFormatException(index + ": expected a \"weight_map\" object of tensor name → shard file");
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().isTextual() ? e.getValue().textValue() : "";
            if (shard.isEmpty() || shard.equals(".") || shard.equals("..") || !Path.of(shard).getFileName().toString().equals(shard)) {
                throw new SafetensorsFormatException(index + ": tensor '" + e.getKey() + "' maps to " + e.getValue() + ", expected a file name in the same directory");
            }
            SafetensorsFile f = shards.get(shard);
            if (f == null) {
                Path p = dir.resolve(shard);
                if (!Files.isRegularFile(p)) throw new SafetensorsFormatException(index + ": tensor '" + e.getKey() + "' is in shard '" + shard + "', which does not exist");
                f = SafetensorsFile.open(p);
                shards.put(shard, f);
                files.add(f);
            }
            if (f.tensor(e.getKey()).isEmpty()) throw new SafetensorsFormatException(index + ": tensor '" + e.getKey() + "' is not in its shard '" + shard + "'");
            byTensor.put(e.getKey(), f);
        }
    }

    /** Tensor names in index (or file) order. */
    public Set<String> names() {
        return Collections.unmodifiableSet(byTensor.keySet());
    }

    /** The tensor's entry; a name the checkpoint lacks is a SafetensorsFormatException naming the files. */
    public SafetensorsTensor tensor(String name) throws IOException {
        return fileOf(name).tensor(name).orElseThrow();
    }

    public float[] readFloats(String name) throws IOException {
        return fileOf(name).readFloats(name);
    }

    /** Values [from, from + count) of the tensor, row-major (a part of a large tensor). */
    public float[] readFloats(String name, long from, int count) throws IOException {
        return fileOf(name).readFloats(name, from, count);
    }

    /** The tensor's raw little-endian bytes as a read-only mapping (under 2 GiB). */
    public java.nio.ByteBuffer bytes(String name) throws IOException {
        SafetensorsFile f = fileOf(name);
        return f.bytes(f.tensor(name).orElseThrow());
    }

    /** PyTorch-order shape; IllegalArgumentException for a name not in {@link #names()}. */
    public long[] shape(String name) {
        return entry(name).shape();
    }

    /** IllegalArgumentException for a name not in {@link #names()}. */
    public SafetensorsDType dtype(String name) {
        return entry(name).dtype();
    }

    private SafetensorsFile fileOf(String name) throws SafetensorsFormatException {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) throw new SafetensorsFormatException(missing(name));
        return f;
    }

    private SafetensorsTensor entry(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) throw new IllegalArgumentException(missing(name));
        return f.tensor(name).orElseThrow();
    }

    private String missing(String name) {
        return "no tensor '" + name + "' in " + files.stream().map(f -> f.path().toString()).toList();
    }

    public static void write(Path dir, LinkedHashMap<String, SafetensorsData> tensors, long maxShardBytes) throws IOException {
        write(dir, tensors, maxShardBytes, Map.of("format", "pt"));
    }

    /**
     * Writes {@code model.safetensors} when all tensors fit in {@code maxShardBytes}, otherwise shards
     * {@code model-0000k-of-0000n.safetensors} (filled in order; a tensor larger than the limit gets a shard of its
     * own) plus the index. Each file is written atomically, the index after its shards; a stale index or single file
     * of the other layout is removed last, so the directory never points at missing data.
     */
    public static void write(Path dir, LinkedHashMap<String, SafetensorsData> tensors, long maxShardBytes, Map<String, String> metadata) throws IOException {
        List<Streamed> streamed = new ArrayList<>();
        tensors.forEach((name, d) -> streamed.add(new Streamed(name, d.dtype(), d.shape(), ch -> {
            ByteBuffer b = d.data();
            while (b.hasRemaining()) ch.write(b);
        })));
        writeStreamed(dir, streamed, maxShardBytes, metadata);
    }

    /** A tensor whose bytes are produced when its shard is written. */
    public record Streamed(String name, SafetensorsDType dtype, long[] shape, SafetensorsWriter.TensorBytes bytes) {
        long byteSize() {
            return dtype.byteSize(shape);
        }
    }

    /** As {@link #write(Path, LinkedHashMap, long, Map)}, with each tensor produced only when its shard is written. */
    public static void writeStreamed(Path dir, List<Streamed> tensors, long maxShardBytes, Map<String, String> metadata) throws IOException {
        if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
        List<List<Streamed>> shards = new ArrayList<>();
        List<Streamed> current = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        long bytes = 0, total = 0;
        for (Streamed t : tensors) {
            if (!names.add(t.name())) throw new IllegalArgumentException("duplicate tensor '" + t.name() + "'");
            long b = t.byteSize();
            if (!current.isEmpty() && bytes + b > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(t);
            bytes += b;
            total += b;
        }
        shards.add(current);
        Files.createDirectories(dir);
        if (shards.size() == 1) {
            writeShard(dir.resolve(SINGLE), current, metadata);
            Files.deleteIfExists(dir.resolve(INDEX));
            return;
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            writeShard(dir.resolve(name), shards.get(i), metadata);
            for (Streamed t : shards.get(i)) map.put(t.name(), name);
        }
        AtomicFiles.writeString(dir.resolve(INDEX), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n");
        Files.deleteIfExists(dir.resolve(SINGLE));
    }

    private static void writeShard(Path p, List<Streamed> tensors, Map<String, String> metadata) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        metadata.forEach(w::metadata);
        for (Streamed t : tensors) w.putStreamed(t.name(), t.dtype(), t.shape(), t.bytes());
        w.write(p);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }
}
