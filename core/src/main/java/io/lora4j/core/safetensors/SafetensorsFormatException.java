package io.lora4j.core.safetensors;

import java.io.IOException;

/** A safetensors file that does not follow the format; the message names the file, the tensor or offset, and what was expected. */
public final class SafetensorsFormatException extends IOException {
    public SafetensorsFormatException(String message) {
        super(message);
    }
}
