package io.lora4j.trainer.dist;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link TcpRingCommunicator}. Immutable; the {@code with…} methods return changed copies.
 *
 * <p>{@link #ioTimeout()} is the longest a rank waits without any progress on a connection (no byte received from its
 * left neighbour, or none accepted by its right one). It also bounds how long a rank waits for the slowest peer to
 * reach the same collective, so set it above the worst skew between ranks (e.g. a rank evaluating or checkpointing
 * while the others wait in the next all-reduce).
 */
public final class RingOptions {
    private final Duration connectTimeout;
    private final Duration ioTimeout;
    private final int frameBytes;
    private final int socketBufferBytes;
    private final long sessionId;
    private final int maxControlBytes;
    private final FrameTap sendTap;

    private RingOptions(Duration connectTimeout, Duration ioTimeout, int frameBytes, int socketBufferBytes,
                        long sessionId, int maxControlBytes, FrameTap sendTap) {
        this.connectTimeout = positive(connectTimeout, "connectTimeout");
        this.ioTimeout = positive(ioTimeout, "ioTimeout");
        if (frameBytes < 4 || frameBytes % 4 != 0 || frameBytes > (64 << 20)) {
            throw new IllegalArgumentException("frameBytes must be a multiple of 4 in [4, 64 MiB], got " + frameBytes);
        }
        if (socketBufferBytes < 0) throw new IllegalArgumentException("socketBufferBytes must be >= 0 (0 = OS default), got " + socketBufferBytes);
        if (maxControlBytes < 8) throw new IllegalArgumentException("maxControlBytes must be >= 8, got " + maxControlBytes);
        this.frameBytes = frameBytes;
        this.socketBufferBytes = socketBufferBytes;
        this.sessionId = sessionId;
        this.maxControlBytes = maxControlBytes;
        this.sendTap = sendTap;
    }

    /** 60 s to connect, 5 min without progress, 1 MiB frames, OS socket buffers, session 0, 16 MiB control messages. */
    public static RingOptions defaults() {
        return new RingOptions(Duration.ofSeconds(60), Duration.ofMinutes(5), 1 << 20, 0, 0L, 16 << 20, null);
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration ioTimeout() {
        return ioTimeout;
    }

    /** Payload bytes per frame: each ring chunk is sent as frames of this size, so sending and reducing overlap. */
    public int frameBytes() {
        return frameBytes;
    }

    /** SO_SNDBUF/SO_RCVBUF; 0 leaves the OS default (and its auto-tuning). */
    public int socketBufferBytes() {
        return socketBufferBytes;
    }

    /** Identifies one gang attempt; a connection from another session is refused, so a stale attempt cannot join. */
    public long sessionId() {
        return sessionId;
    }

    /** The largest allGather/broadcast message accepted; checked before anything is allocated. */
    public int maxControlBytes() {
        return maxControlBytes;
    }

    FrameTap sendTap() {
        return sendTap;
    }

    public RingOptions withConnectTimeout(Duration d) {
        return new RingOptions(d, ioTimeout, frameBytes, socketBufferBytes, sessionId, maxControlBytes, sendTap);
    }

    public RingOptions withIoTimeout(Duration d) {
        return new RingOptions(connectTimeout, d, frameBytes, socketBufferBytes, sessionId, maxControlBytes, sendTap);
    }

    public RingOptions withFrameBytes(int bytes) {
        return new RingOptions(connectTimeout, ioTimeout, bytes, socketBufferBytes, sessionId, maxControlBytes, sendTap);
    }

    public RingOptions withSocketBufferBytes(int bytes) {
        return new RingOptions(connectTimeout, ioTimeout, frameBytes, bytes, sessionId, maxControlBytes, sendTap);
    }

    public RingOptions withSessionId(long id) {
        return new RingOptions(connectTimeout, ioTimeout, frameBytes, socketBufferBytes, id, maxControlBytes, sendTap);
    }

    public RingOptions withMaxControlBytes(int bytes) {
        return new RingOptions(connectTimeout, ioTimeout, frameBytes, socketBufferBytes, sessionId, bytes, sendTap);
    }

    /** Test hook: sees (and may damage) every frame after its checksum is computed, just before it is written. */
    RingOptions withSendTap(FrameTap tap) {
        return new RingOptions(connectTimeout, ioTimeout, frameBytes, socketBufferBytes, sessionId, maxControlBytes, tap);
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive, got " + d);
        return d;
    }

    @Override
    public String toString() {
        return "RingOptions[connectTimeout=" + connectTimeout + ", ioTimeout=" + ioTimeout + ", frameBytes=" + frameBytes
                + ", socketBufferBytes=" + socketBufferBytes + ", sessionId=" + sessionId + ", maxControlBytes=" + maxControlBytes + "]";
    }
}
