package io.lora4j.data;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.chat.ChatMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One raw JSON record → an {@link InstructionRecord} (turn texts) or a {@link Conversation} (for the model's own chat
 * template), or the reason it is rejected. Alpaca (instruction, input, output, with field renaming), ShareGPT
 * ({@code conversations} of from/value turns, including LLaMA-Factory's function_call and observation turns) and
 * OpenAI messages (role/content/tool_calls), each with an optional {@code tools} list and {@code system} text.
 * Conversations are rendered with the model's template when {@code data.template} is chat and the model has one, else
 * with the {@link VicunaChat} layout. Reasons read "category" or "category: detail"; the summary counts by category.
 */
final class RecordParser {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};

    /** Exactly one of record and chat is set when the record is kept. */
    record Parsed(InstructionRecord record, Conversation chat, String rejectReason) {
        Parsed(InstructionRecord record, String rejectReason) {
            this(record, null, rejectReason);
        }
    }

    /** Speaker names every source understands (data.sources[].roles adds to them); function_call is an assistant tool call. */
    private static final Map<String, String> ROLES = Map.ofEntries(Map.entry("system", "system"), Map.entry("human", "user"),
            Map.entry("user", "user"), Map.entry("gpt", "assistant"), Map.entry("assistant", "assistant"), Map.entry("chatgpt", "assistant"),
            Map.entry("bing", "assistant"), Map.entry("bard", "assistant"), Map.entry("function_call", "function_call"),
            Map.entry("observation", "tool"), Map.entry("tool", "tool"), Map.entry("function", "tool"));

    private RecordParser() {}

    static Parsed parse(JsonNode node, String where, PrepareConfig.Source src, InstructionFormat template) {
        if (node == null || !node.isObject()) return reject("not a JSON object");
        PrepareConfig.Format f = src.format();
        boolean auto = f == PrepareConfig.Format.AUTO;
        Conversation chat;
        try {
            if (f == PrepareConfig.Format.SHAREGPT || (auto && node.has(src.field("conversations")))) {
                chat = shareGpt(node, where, src);
            } else if (f == PrepareConfig.Format.OPENAI || (auto && node.has(src.field("messages")))) {
                chat = openAi(node, where, src);
            } else if (template instanceof ModelChatFormat) {
                chat = alpacaChat(node, where, src);
            } else {
                return alpaca(node, where, src, template);
            }
        } catch (Rejected r) {
            return reject(r.getMessage());
        }
        if (!chat.hasAssistantTurn()) return reject("no assistant turn to train on");
        if (template instanceof ModelChatFormat) return new Parsed(null, chat.throughLastAssistant(), null);
        if (chat.tools() != null && !chat.tools().isEmpty()) return reject("needs a chat template: the record offers tools (the Vicuna layout has none)");
        try {
            InstructionRecord r = VicunaChat.render(chat.messages(), where);
            return r == null ? reject("no assistant turn to train on") : new Parsed(r, null);
        } catch (IllegalArgumentException e) {
            return reject("needs a chat template: " + e.getMessage());
        }
    }

    /** The category of a reject reason: the text before the first ": ". */
    static String category(String reason) {
        int i = reason.indexOf(": ");
        return i < 0 ? reason : reason.substring(0, i);
    }

    /** A record that cannot be used; the message is the reject reason. */
    private static final class Rejected extends Exception {
        Rejected(String reason) {
            super(reason, null, false, false);
        }
    }

    private static Parsed alpaca(JsonNode node, String where, PrepareConfig.Source src, InstructionFormat template) {
        try {
            String[] r = alpacaFields(node, src);
            return new Parsed(template.record(r[0], r[1], r[2], where), null);
        } catch (Rejected e) {
            return reject(e.getMessage());
        }
    }

    /** instruction, input, output of an Alpaca record. */
    private static String[] alpacaFields(JsonNode node, PrepareConfig.Source src) throws Rejected {
        String fi = src.field("instruction"), fin = src.field("input"), fo = src.field("output");
        for (String k : new String[] {fi, fo}) if (!node.has(k)) throw new Rejected("missing field '" + k + "'");
        for (String k : new String[] {fi, fin, fo}) {
            if (node.has(k) && !node.get(k).isTextual() && !node.get(k).isNull()) {
                throw new Rejected("field '" + k + "' is " + node.get(k).getNodeType() + ", expected a string");
            }
        }
        String output = node.get(fo).asText("");
        if (output.isBlank()) throw new Rejected("empty response");
        String instruction = node.get(fi).asText(""), input = node.path(fin).asText("");
        if (instruction.isBlank()) throw new Rejected("empty instruction");
        return new String[] {instruction, input, output};
    }

    /** An Alpaca record as a one-round chat, the input on a new line after the instruction (as in the Vicuna layout). */
    private static Conversation alpacaChat(JsonNode node, String where, PrepareConfig.Source src) throws Rejected {
        String[] r = alpacaFields(node, src);
        String q = r[1].isEmpty() ? r[0] : r[0] + "\n" + r[1];
        return new Conversation(List.of(ChatMessage.user(q), ChatMessage.assistant(r[2])), null, where);
    }

    /** The record's non-empty array of turns under {@code key}; a system field of the source, if any, opens {@code messages}. */
    private static JsonNode turns(JsonNode node, String key, PrepareConfig.Source src, List<ChatMessage> messages) throws Rejected {
        JsonNode turns = node.get(key);
        if (turns == null || !turns.isArray() || turns.isEmpty()) throw new Rejected("missing or empty '" + key + "'");
        systemField(node, src, messages);
        return turns;
    }

    private static Conversation shareGpt(JsonNode node, String where, PrepareConfig.Source src) throws Rejected {
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode t : turns(node, src.field("conversations"), src, messages)) {
            if (!t.isObject()) throw new Rejected("a conversation turn is not a JSON object");
            if (!t.path("value").isTextual()) throw new Rejected("a turn has no string 'value'");
            String from = t.path("from").asText(""), value = t.get("value").asText();
            messages.add(message(role(from, src), value, null, messages));
        }
        return new Conversation(systemFirst(messages), tools(node, src), where);
    }

    private static Conversation openAi(JsonNode node, String where, PrepareConfig.Source src) throws Rejected {
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : turns(node, src.field("messages"), src, messages)) {
            ChatMessage parsed;
            try {
                parsed = ChatMessage.fromJson(m);
            } catch (IllegalArgumentException e) {
                throw new Rejected("bad message: " + e.getMessage());
            }
            messages.add(message(role(parsed.role(), src), parsed.content(), parsed, messages));
        }
        return new Conversation(systemFirst(messages), tools(node, src), where);
    }

    /** The role a speaker name stands for: the source's mapping first, then the usual spellings. */
    private static String role(String speaker, PrepareConfig.Source src) throws Rejected {
        String r = src.roles().getOrDefault(speaker, ROLES.get(speaker));
        if (r == null) {
            throw new Rejected("unknown speaker: '" + speaker + "' (expected human, gpt, system, function_call or observation, or a mapping in "
                    + "data.sources[].roles)");
        }
        return r;
    }

    /** One message in OpenAI's form; a function_call turn becomes an assistant message calling the tool(s) its JSON names. */
    private static ChatMessage message(String role, String content, ChatMessage given, List<ChatMessage> before) throws Rejected {
        List<Map<String, Object>> calls = given == null ? null : given.toolCalls();
        if (role.equals("function_call")) {
            if (calls != null) throw new Rejected("a function_call turn with tool_calls: give one or the other");
            return new ChatMessage("assistant", null, toolCalls(content), null, null);
        }
        if (role.equals("assistant") && calls == null && (content == null || content.isBlank())) throw new Rejected("empty assistant turn");
        if (role.equals("tool") && content == null) throw new Rejected("a tool result without content");
        String callId = given == null ? null : given.toolCallId(), name = given == null ? null : given.name();
        if (role.equals("tool") && name == null) name = calledName(before);
        return new ChatMessage(role, content, calls, callId, name);
    }

    /** The name of the single tool the previous assistant turn called (tool results in ShareGPT carry none), else null. */
    private static String calledName(List<ChatMessage> before) {
        if (before.isEmpty()) return null;
        ChatMessage last = before.get(before.size() - 1);
        if (!last.role().equals("assistant") || last.toolCalls() == null || last.toolCalls().size() != 1) return null;
        return last.toolCalls().get(0).get("function") instanceof Map<?, ?> fn && fn.get("name") instanceof String s ? s : null;
    }

    /** LLaMA-Factory's function_call value: {"name", "arguments"} or a list of them, as JSON text. */
    private static List<Map<String, Object>> toolCalls(String value) throws Rejected {
        JsonNode v;
        try {
            v = JSON.readTree(value == null ? "" : value);
        } catch (IOException e) {
            throw new Rejected("bad function_call: not JSON (" + e.getMessage().split("\n")[0] + ")");
        }
        List<JsonNode> items = new ArrayList<>();
        if (v != null && v.isArray()) v.forEach(items::add);
        else items.add(v == null ? JSON.nullNode() : v);
        List<Map<String, Object>> calls = new ArrayList<>();
        for (JsonNode c : items) {
            if (!c.isObject() || !c.path("name").isTextual()) throw new Rejected("bad function_call: expected {\"name\": ..., \"arguments\": {...}}");
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("name", c.get("name").asText());
            fn.put("arguments", c.has("arguments") ? JSON.convertValue(c.get("arguments"), Object.class) : Map.of());
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("type", "function");
            call.put("function", fn);
            calls.add(call);
        }
        if (calls.isEmpty()) throw new Rejected("bad function_call: no call in it");
        return calls;
    }

    /** A top-level system text (LLaMA-Factory's "system" column) opens the conversation. */
    private static void systemField(JsonNode node, PrepareConfig.Source src, List<ChatMessage> messages) throws Rejected {
        JsonNode s = node.get(src.field("system"));
        if (s == null || s.isNull()) return;
        if (!s.isTextual()) throw new Rejected("field '" + src.field("system") + "' is " + s.getNodeType() + ", expected a string");
        if (!s.asText().isEmpty()) messages.add(ChatMessage.system(s.asText()));
    }

    /** Two system messages (the field and a first turn) would render twice: the turn wins. */
    private static List<ChatMessage> systemFirst(List<ChatMessage> m) {
        if (m.size() >= 2 && m.get(0).role().equals("system") && m.get(1).role().equals("system")) return m.subList(1, m.size());
        return m;
    }

    /**
     * The record's tools: a JSON list (or a string holding one, as LLaMA-Factory's glaive sets do), each an OpenAI tool
     * ({"type": "function", "function": {...}}) or a bare function definition ({"name", "description", "parameters"}),
     * which is wrapped into the OpenAI form templates expect. Null when absent; an empty list stays empty.
     */
    private static List<Map<String, Object>> tools(JsonNode node, PrepareConfig.Source src) throws Rejected {
        String key = src.field("tools");
        JsonNode t = node.get(key);
        if (t == null || t.isNull()) return null;
        if (t.isTextual()) {
            if (t.asText().isBlank()) return null;
            try {
                t = JSON.readTree(t.asText());
            } catch (IOException e) {
                throw new Rejected("bad '" + key + "': not JSON (" + e.getMessage().split("\n")[0] + ")");
            }
        }
        if (t == null || !t.isArray()) throw new Rejected("bad '" + key + "': expected a list of tool definitions");
        List<Map<String, Object>> tools = new ArrayList<>();
        for (JsonNode d : t) {
            if (!d.isObject()) throw new Rejected("bad '" + key + "': a tool definition is not a JSON object");
            Map<String, Object> def = JSON.convertValue(d, OBJECT);
            if (d.has("function")) {
                tools.add(def);
            } else if (d.path("name").isTextual()) {
                Map<String, Object> wrapped = new LinkedHashMap<>();
                wrapped.put("type", "function");
                wrapped.put("function", def);
                tools.add(wrapped);
            } else {
                throw new Rejected("bad '" + key + "': a tool definition has neither \"function\" nor \"name\"");
            }
        }
        return tools;
    }

    private static Parsed reject(String why) {
        return new Parsed(null, null, why);
    }
}
