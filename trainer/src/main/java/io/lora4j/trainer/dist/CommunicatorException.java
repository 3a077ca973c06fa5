package io.lora4j.trainer.dist;

import java.net.InetSocketAddress;

/**
 * A collective failed: a peer closed its connection, sent something unexpected, or a local I/O error occurred.
 * When the failure is tied to one neighbour, {@link #peerRank()} and {@link #peerAddress()} name it (and the message
 * says it), so a gang driver can log which worker broke the ring. After any such failure the communicator is broken
 * and every later call fails too; the gang is expected to restart as a whole.
 */
public class CommunicatorException extends RuntimeException {
    private final int peerRank;
    private final InetSocketAddress peerAddress;

    public CommunicatorException(String message, int peerRank, InetSocketAddress peerAddress, Throwable cause) {
        super(message, cause);
        this.peerRank = peerRank;
        this.peerAddress = peerAddress;
    }

    public CommunicatorException(String message, Throwable cause) {
        this(message, -1, null, cause);
    }

    /** The neighbour this failure is attributed to, or -1 when it is not tied to one. */
    public int peerRank() {
        return peerRank;
    }

    /** That neighbour's address, or null. */
    public InetSocketAddress peerAddress() {
        return peerAddress;
    }
}
