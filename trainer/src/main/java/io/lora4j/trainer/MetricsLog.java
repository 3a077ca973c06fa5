package io.lora4j.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.io.HadoopFs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** {@code metrics.jsonl} in the run directory: one JSON object per training step and per evaluation. */
public final class MetricsLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String uri;
    private final List<String> pending = new ArrayList<>();

    public MetricsLog(String runDir) {
        this.uri = HadoopFs.join(runDir, "metrics.jsonl");
    }

    public String uri() {
        return uri;
    }

    public ObjectNode line(String kind, long step) {
        ObjectNode n = JSON.createObjectNode();
        n.put("kind", kind);
        n.put("step", step);
        return n;
    }

    /** Buffers a line; {@link #flush()} appends buffered lines (done at evaluations and checkpoints). */
    public void add(ObjectNode line) {
        pending.add(line.toString());
    }

    public void flush() throws IOException {
        if (pending.isEmpty()) return;
        HadoopFs.appendText(uri, String.join("\n", pending) + "\n");
        pending.clear();
    }

    /** Drops lines of steps after {@code step} (a resumed run rewrites them identically). */
    public void truncateAfter(long step) throws IOException {
        if (!HadoopFs.exists(uri)) return;
        StringBuilder kept = new StringBuilder();
        for (String l : new String(HadoopFs.readAll(uri), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            if (l.isBlank()) continue;
            if (JSON.readTree(l).path("step").asLong() <= step) kept.append(l).append('\n');
        }
        HadoopFs.writeAtomically(uri, kept.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public static List<com.fasterxml.jackson.databind.JsonNode> read(String runDir) throws IOException {
        List<com.fasterxml.jackson.databind.JsonNode> out = new ArrayList<>();
        String u = HadoopFs.join(runDir, "metrics.jsonl");
        if (!HadoopFs.exists(u)) return out;
        for (String l : new String(HadoopFs.readAll(u), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            if (!l.isBlank()) out.add(JSON.readTree(l));
        }
        return out;
    }
}
