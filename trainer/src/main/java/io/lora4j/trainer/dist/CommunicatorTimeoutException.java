package io.lora4j.trainer.dist;

import java.io.IOException;

/** A peer did not answer within the configured timeout (it died or hangs); the gang must fail as a whole. */
public final class CommunicatorTimeoutException extends IOException {
    public CommunicatorTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
