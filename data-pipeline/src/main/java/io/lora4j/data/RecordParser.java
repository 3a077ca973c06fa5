package io.lora4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * One raw JSON record → an {@link InstructionRecord}, or the reason it is rejected. Alpaca (instruction, input,
 * output, with field renaming) and ShareGPT (conversations of human/gpt/system turns; the loss is on gpt turns only,
 * rendered with the {@link ChatTemplate}). Reasons read "category" or "category: detail"; the summary counts by category.
 */
final class RecordParser {
    static final ObjectMapper JSON = new ObjectMapper();

    record Parsed(InstructionRecord record, String rejectReason) {}

    private RecordParser() {}

    static Parsed parse(JsonNode node, String where, PrepareConfig.Source src, InstructionFormat template) {
        if (node == null || !node.isObject()) return reject("not a JSON object");
        boolean sharegpt = src.format() == PrepareConfig.Format.SHAREGPT || (src.format() == PrepareConfig.Format.AUTO && node.has("conversations"));
        return sharegpt ? shareGpt(node, where) : alpaca(node, where, src, template);
    }

    /** The category of a reject reason: the text before the first ": ". */
    static String category(String reason) {
        int i = reason.indexOf(": ");
        return i < 0 ? reason : reason.substring(0, i);
    }

    private static Parsed alpaca(JsonNode node, String where, PrepareConfig.Source src, InstructionFormat template) {
        String fi = src.field("instruction"), fin = src.field("input"), fo = src.field("output");
        for (String k : new String[] {fi, fo}) if (!node.has(k)) return reject("missing field '" + k + "'");
        for (String k : new String[] {fi, fin, fo}) {
            if (node.has(k) && !node.get(k).isTextual() && !node.get(k).isNull()) return reject("field '" + k + "' is " + node.get(k).getNodeType() + ", expected a string");
        }
        String output = node.get(fo).asText("");
        if (output.isBlank()) return reject("empty response");
        String instruction = node.get(fi).asText(""), input = node.path(fin).asText("");
        if (instruction.isBlank()) return reject("empty instruction");
        return new Parsed(template.record(instruction, input, output, where), null);
    }

    private static Parsed shareGpt(JsonNode node, String where) {
        JsonNode conv = node.get("conversations");
        if (conv == null || !conv.isArray() || conv.isEmpty()) return reject("missing or empty 'conversations'");
        List<ChatTemplate.Message> messages = new ArrayList<>();
        for (JsonNode t : conv) {
            if (!t.isObject()) return reject("a conversation turn is not a JSON object");
            if (!t.path("value").isTextual()) return reject("a turn has no string 'value'");
            String from = t.path("from").asText(""), value = t.get("value").asText();
            String role = switch (from) {
                case "system" -> "system";
                case "human", "user" -> "user";
                case "gpt", "assistant", "chatgpt", "bing", "bard" -> "assistant";
                default -> null;
            };
            if (role == null) return reject("unknown speaker: '" + from + "' (expected human, gpt or system)");
            if (role.equals("assistant") && value.isBlank()) return reject("empty assistant turn");
            messages.add(new ChatTemplate.Message(role, value));
        }
        InstructionRecord r = ChatTemplate.render(messages, where);
        return r == null ? reject("no assistant turn to train on") : new Parsed(r, null);
    }

    private static Parsed reject(String why) {
        return new Parsed(null, why);
    }
}
