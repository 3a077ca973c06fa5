package io.lora4j.core.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Streams Alpaca-style records from a JSON array or JSON Lines file without loading the whole file, validating each
 * record (instruction and output required, strings only). Bad records go to {@code rejects} with their position.
 * Field names are configurable (e.g. Dolly's instruction/context/response).
 */
public final class AlpacaReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A record that could not be used: where it was, what it held, and why. */
    public record Reject(String source, String record, String reason) {}

    public record Fields(String instruction, String input, String output) {
        public static final Fields ALPACA = new Fields("instruction", "input", "output");
        public static final Fields DOLLY = new Fields("instruction", "context", "response");
    }

    private AlpacaReader() {}

    public static void read(Path file, Fields f, PromptTemplate template, Consumer<InstructionRecord> out, Consumer<Reject> rejects) throws IOException {
        String name = file.toString();
        boolean array;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int c;
            do c = r.read(); while (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0xFEFF);
            array = c == '[';
        }
        if (array) {
            try (JsonParser p = JSON.getFactory().createParser(file.toFile())) {
                p.nextToken();
                int i = 0;
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    JsonNode node = JSON.readTree(p);
                    accept(node, name + "[" + i++ + "]", f, template, out, rejects);
                }
            }
        } else {
            int line = 0;
            for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                line++;
                if (l.isBlank()) continue;
                JsonNode node;
                try {
                    node = JSON.readTree(l);
                } catch (IOException e) {
                    rejects.accept(new Reject(name + ":" + line, l, "malformed JSON: " + e.getMessage().split("\n")[0]));
                    continue;
                }
                accept(node, name + ":" + line, f, template, out, rejects);
            }
        }
    }

    static void accept(JsonNode node, String where, Fields f, PromptTemplate t, Consumer<InstructionRecord> out, Consumer<Reject> rejects) {
        if (!node.isObject()) {
            rejects.accept(new Reject(where, node.toString(), "not a JSON object"));
            return;
        }
        for (String k : new String[] {f.instruction(), f.output()}) {
            if (!node.has(k)) {
                rejects.accept(new Reject(where, node.toString(), "missing field '" + k + "'"));
                return;
            }
        }
        for (String k : new String[] {f.instruction(), f.input(), f.output()}) {
            if (node.has(k) && !node.get(k).isTextual() && !node.get(k).isNull()) {
                rejects.accept(new Reject(where, node.toString(), "field '" + k + "' is " + node.get(k).getNodeType() + ", expected a string"));
                return;
            }
        }
        String output = node.get(f.output()).asText("");
        if (output.isBlank()) {
            rejects.accept(new Reject(where, node.toString(), "empty response"));
            return;
        }
        out.accept(InstructionRecord.alpaca(t, node.get(f.instruction()).asText(""), node.path(f.input()).asText(""), output, where));
    }

    /** All records of a file (for small files and tests). */
    public static List<InstructionRecord> readAll(Path file, PromptTemplate template, List<Reject> rejects) throws IOException {
        List<InstructionRecord> out = new ArrayList<>();
        read(file, Fields.ALPACA, template, out::add, rejects::add);
        return out;
    }
}
