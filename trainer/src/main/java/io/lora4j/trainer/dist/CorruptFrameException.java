package io.lora4j.trainer.dist;

import java.net.InetSocketAddress;

/** A frame from a peer failed its CRC-32C check or carried a header that does not match what the ring expects. */
public final class CorruptFrameException extends CommunicatorException {
    public CorruptFrameException(String message, int peerRank, InetSocketAddress peerAddress) {
        super(message, peerRank, peerAddress, null);
    }
}
