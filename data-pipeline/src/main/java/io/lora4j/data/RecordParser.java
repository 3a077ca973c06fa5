package io.lora4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.data.InstructionRecord;
import io.lora4j.core.data.PromptTemplate;
import java.util.ArrayList;
import java.util.List;

/**
 * One raw JSON record → an {@link InstructionRecord}, or the reason it is rejected. Alpaca (instruction, input,
 * output, with field renaming) and ShareGPT (conversations of human/gpt/system turns; the loss is on gpt turns only,
 * rendered with a Vicuna-style chat template).
 */
final class RecordParser {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Chat template for ShareGPT: "USER: …" and " ASSISTANT:" are prompt; the assistant's text + EOS is trained. */
    static final String CHAT_SYSTEM = "A chat between a curious user and an artificial intelligence assistant.";

    record Parsed(InstructionRecord record, String rejectReason) {}

    private RecordParser() {}

    static Parsed parse(JsonNode node, String where, PrepareConfig.Source src, PromptTemplate template) {
        if (node == null || !node.isObject()) return reject("not a JSON object");
        boolean sharegpt = src.format().equals("sharegpt") || (src.format().equals("auto") && node.has("conversations"));
        return sharegpt ? shareGpt(node, where) : alpaca(node, where, src, template);
    }

    private static Parsed alpaca(JsonNode node, String where, PrepareConfig.Source src, PromptTemplate template) {
        String fi = src.field("instruction"), fin = src.field("input"), fo = src.field("output");
        for (String k : new String[] {fi, fo}) if (!node.has(k)) return reject("missing field '" + k + "'");
        for (String k : new String[] {fi, fin, fo}) {
            if (node.has(k) && !node.get(k).isTextual() && !node.get(k).isNull()) return reject("field '" + k + "' is " + node.get(k).getNodeType() + ", expected a string");
        }
        String output = node.get(fo).asText("");
        if (output.isBlank()) return reject("empty response");
        return new Parsed(InstructionRecord.alpaca(template, node.get(fi).asText(""), node.path(fin).asText(""), output, where), null);
    }

    private static Parsed shareGpt(JsonNode node, String where) {
        JsonNode conv = node.get("conversations");
        if (conv == null || !conv.isArray() || conv.isEmpty()) return reject("missing or empty 'conversations'");
        List<InstructionRecord.Turn> turns = new ArrayList<>();
        StringBuilder prompt = new StringBuilder(CHAT_SYSTEM);
        boolean anyAssistant = false;
        for (JsonNode t : conv) {
            String from = t.path("from").asText(""), value = t.path("value").asText(null);
            if (value == null || !t.path("value").isTextual()) return reject("a turn has no string 'value'");
            switch (from) {
                case "system" -> prompt.insert(0, value + "\n");
                case "human", "user" -> prompt.append(" USER: ").append(value).append(" ASSISTANT:");
                case "gpt", "assistant" -> {
                    if (value.isBlank()) return reject("empty assistant turn");
                    turns.add(new InstructionRecord.Turn(prompt.toString(), false));
                    turns.add(new InstructionRecord.Turn(" " + value, true));
                    prompt.setLength(0);
                    anyAssistant = true;
                }
                default -> {
                    return reject("unknown speaker '" + from + "' (expected human, gpt or system)");
                }
            }
        }
        if (!anyAssistant) return reject("no assistant turn to train on");
        return new Parsed(new InstructionRecord(turns, where), null);
    }

    private static Parsed reject(String why) {
        return new Parsed(null, why);
    }
}
