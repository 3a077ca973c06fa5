package io.lora4j.core.model;

import java.io.IOException;

/** A model file or directory that lora4j cannot load; the message names the file, the key or offset, and what was expected. */
public final class ModelFormatException extends IOException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
