package io.lora4j.core.gguf;

import java.io.IOException;

/** A GGUF file that does not follow the format; the message names the file, the offset or key, and what was expected. */
public final class GgufFormatException extends IOException {
    public GgufFormatException(String message) {
        super(message);
    }
}
