package io.lora4j.core.chat;

import java.util.List;

/**
 * A conversation rendered by its chat template, with where each assistant turn lies in the text.
 *
 * @param text           the rendered text (special tokens written out)
 * @param assistantSpans one per assistant message, in order
 */
public record RenderedChat(String text, List<AssistantSpan> assistantSpans) {
    public RenderedChat {
        assistantSpans = List.copyOf(assistantSpans);
    }

    /**
     * Character (UTF-16) offsets into {@link RenderedChat#text}, ends exclusive.
     *
     * @param messageIndex which message of the conversation this is
     * @param contentStart the message content as rendered (the template may trim it); for a tool call, the rendered call
     * @param targetStart  where generation starts: the end of the conversation before this turn rendered with the
     *                     generation prompt (Mistral's space before the content is inside, Llama-3's header is not)
     * @param targetEnd    the end of the end-of-turn token after the content: the span to compute the loss on
     */
    public record AssistantSpan(int messageIndex, int contentStart, int contentEnd, int targetStart, int targetEnd) {}
}
