package io.lora4j.core.config;

/** A config that cannot be used: the message names the file, the key path, the value and what is allowed. */
public final class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
