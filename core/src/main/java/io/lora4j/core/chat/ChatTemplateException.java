package io.lora4j.core.chat;

/** The template rejected the conversation (raise_exception, a type error) or could not be rendered. */
public class ChatTemplateException extends IllegalArgumentException {
    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
