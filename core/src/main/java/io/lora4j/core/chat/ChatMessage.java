package io.lora4j.core.chat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One chat turn in OpenAI's form, as chat templates read it.
 *
 * @param role       system, user, assistant or tool
 * @param content    the text; null for an assistant turn that only calls tools
 * @param toolCalls  OpenAI-style calls ({"type": "function", "function": {"name", "arguments"}}), null when none
 * @param toolCallId the call a tool result answers (null when none)
 * @param name       the tool's name on a tool result (null when none)
 */
public record ChatMessage(String role, String content, List<Map<String, Object>> toolCalls, String toolCallId, String name) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ChatMessage {
        if (role == null || role.isEmpty()) throw new IllegalArgumentException("a chat message needs a role");
    }

    public static ChatMessage of(String role, String content) {
        return new ChatMessage(role, content, null, null, null);
    }

    public static ChatMessage system(String content) {
        return of("system", content);
    }

    public static ChatMessage user(String content) {
        return of("user", content);
    }

    public static ChatMessage assistant(String content) {
        return of("assistant", content);
    }

    /** An OpenAI-format message object: role, content (string or null), tool_calls, tool_call_id, name. */
    public static ChatMessage fromJson(JsonNode m) {
        if (!m.isObject()) throw new IllegalArgumentException("a chat message must be a JSON object, got " + m.getNodeType());
        String role = m.path("role").asText("");
        if (role.isEmpty()) throw new IllegalArgumentException("chat message without \"role\": " + m);
        JsonNode c = m.path("content");
        if (!c.isMissingNode() && !c.isNull() && !c.isTextual()) {
            throw new IllegalArgumentException("chat message \"content\" must be a string or null (content parts are not supported): " + m);
        }
        List<Map<String, Object>> calls = m.hasNonNull("tool_calls")
                ? JSON.convertValue(m.get("tool_calls"), new TypeReference<List<Map<String, Object>>>() {})
                : null;
        return new ChatMessage(role, c.isTextual() ? c.asText() : null, calls, textOrNull(m, "tool_call_id"), textOrNull(m, "name"));
    }

    private static String textOrNull(JsonNode m, String field) {
        return m.hasNonNull(field) ? m.get(field).asText() : null;
    }

    /** The dict a template sees: only the fields that are set (templates test {@code 'tool_calls' in message}). */
    Map<String, Object> toTemplateValue() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content != null ? content : PyNone.INSTANCE);
        if (toolCalls != null) m.put("tool_calls", toolCalls);
        if (toolCallId != null) m.put("tool_call_id", toolCallId);
        if (name != null) m.put("name", name);
        return m;
    }
}
