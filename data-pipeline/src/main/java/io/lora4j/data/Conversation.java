package io.lora4j.data;

import io.lora4j.core.chat.ChatMessage;
import java.util.List;
import java.util.Map;

/**
 * One chat record as read from a ShareGPT, OpenAI-messages or Alpaca source, before any template: the messages in
 * OpenAI's form (roles system, user, assistant, tool) and the tool definitions offered to the model.
 *
 * @param tools  OpenAI-style tool definitions ({@code {"type": "function", "function": {...}}}), null when none
 * @param source where it came from, e.g. "data/chat.jsonl:17"
 */
record Conversation(List<ChatMessage> messages, List<Map<String, Object>> tools, String source) {
    Conversation {
        messages = List.copyOf(messages);
    }

    boolean hasAssistantTurn() {
        return messages.stream().anyMatch(m -> m.role().equals("assistant"));
    }

    /** The messages up to and including the last assistant turn: what follows it has nothing to train on. */
    Conversation throughLastAssistant() {
        int last = messages.size() - 1;
        while (last >= 0 && !messages.get(last).role().equals("assistant")) last--;
        return last == messages.size() - 1 ? this : new Conversation(messages.subList(0, last + 1), tools, source);
    }
}
