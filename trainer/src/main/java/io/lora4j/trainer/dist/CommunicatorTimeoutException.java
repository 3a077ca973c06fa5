package io.lora4j.trainer.dist;

import java.net.InetSocketAddress;

/** A peer made no progress (sent nothing, or read nothing we sent) for longer than the configured timeout. */
public final class CommunicatorTimeoutException extends CommunicatorException {
    public CommunicatorTimeoutException(String message, int peerRank, InetSocketAddress peerAddress) {
        super(message, peerRank, peerAddress, null);
    }
}
