package io.lora4j.trainer.dist;

import java.nio.ByteBuffer;

/**
 * The first bytes on every ring connection. The connecting rank sends HELLO (magic, version, session, its rank, world
 * size); the accepting rank answers with a status, so a connection from another gang attempt or from a rank with a
 * different peer list is refused before any data flows.
 */
final class Handshake {
    static final int HELLO_MAGIC = 0x4C344A48; // "L4JH"
    static final int VERSION = 1;
    static final int HELLO_BYTES = 24;
    static final int ACK_BYTES = 8;

    static final int OK = 0;
    static final int WRONG_SESSION = 1;
    static final int WRONG_TOPOLOGY = 2;

    record Hello(int version, long sessionId, int rank, int worldSize) {}

    private Handshake() {}

    static void sendHello(Link link, long sessionId, int rank, int worldSize) {
        ByteBuffer b = ByteBuffer.allocate(HELLO_BYTES);
        b.putInt(HELLO_MAGIC).putInt(VERSION).putLong(sessionId).putInt(rank).putInt(worldSize).flip();
        link.writeFully(new ByteBuffer[] {b}, "the ring handshake");
    }

    /** Reads a HELLO; a connection that is not a lora4j ring peer gives a {@link CorruptFrameException}. */
    static Hello readHello(Link link, long timeoutNanos) {
        ByteBuffer b = ByteBuffer.allocate(HELLO_BYTES);
        link.readFully(b, "the ring handshake", () -> null, timeoutNanos);
        b.flip();
        if (b.getInt() != HELLO_MAGIC) {
            throw new CorruptFrameException("a connection to the ring listener did not start with the lora4j ring handshake;"
                    + " expected " + link.peer(), link.peerRank(), link.peerAddress());
        }
        return new Hello(b.getInt(), b.getLong(), b.getInt(), b.getInt());
    }

    static void sendStatus(Link link, int status) {
        ByteBuffer b = ByteBuffer.allocate(ACK_BYTES);
        b.putInt(HELLO_MAGIC).putInt(status).flip();
        link.writeFully(new ByteBuffer[] {b}, "the ring handshake reply");
    }

    static int readStatus(Link link, long timeoutNanos) {
        ByteBuffer b = ByteBuffer.allocate(ACK_BYTES);
        link.readFully(b, "the ring handshake reply", () -> null, timeoutNanos);
        b.flip();
        if (b.getInt() != HELLO_MAGIC) {
            throw new CorruptFrameException(link.peer() + " answered the ring handshake with bytes that are not a lora4j ring reply",
                    link.peerRank(), link.peerAddress());
        }
        return b.getInt();
    }
}
