package io.lora4j.trainer.dist;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * The receiving half of a rank: reads frames from the left neighbour, verifies their CRC-32C, and checks that each is
 * exactly the frame the ring expects next (same collective, sequence number, step, chunk, frame and length).
 * Lengths are checked against fixed limits before any buffer is allocated.
 */
final class FrameReader {
    private final Link link;
    private final int selfRank;
    private final Supplier<CommunicatorException> abort;
    private final ByteBuffer headerBytes = ByteBuffer.allocateDirect(FrameHeader.BYTES);
    private final ByteBuffer payload;
    private final FloatBuffer payloadFloats;
    private final CRC32C crc = new CRC32C();
    private final int maxControlBytes;

    FrameReader(Link link, int selfRank, int frameBytes, int maxControlBytes, Supplier<CommunicatorException> abort) {
        this.link = link;
        this.selfRank = selfRank;
        this.abort = abort;
        this.payload = ByteBuffer.allocateDirect(frameBytes).order(ByteOrder.LITTLE_ENDIAN);
        this.payloadFloats = payload.asFloatBuffer();
        this.maxControlBytes = maxControlBytes;
    }

    /** Receives the float frame {@code expected}; the returned view (index 0 on) is valid until the next read. */
    FloatBuffer readFloats(FrameHeader expected) {
        int length = readHeader(expected, payload.capacity());
        payload.clear().limit(length);
        link.readFully(payload, expected, abort);
        verify(expected, payload.flip());
        return payloadFloats;
    }

    /**
     * Receives the float frame {@code expected} straight into {@code dst} (its remaining bytes, little-endian floats),
     * skipping the frame buffer. The bytes are in place before the CRC is checked: after a failure dst is undefined,
     * as the caller's buffer is after any failed collective.
     */
    void readFloatsInto(FrameHeader expected, ByteBuffer dst) {
        int length = readHeader(expected, payload.capacity());
        if (length != dst.remaining()) { // not the frame expected: read it the checked way to say what it is
            payload.clear().limit(length);
            link.readFully(payload, expected, abort);
            verify(expected, payload.flip());
            throw new IllegalStateException("frame of " + length + " bytes passed the checks while " + dst.remaining() + " were expected");
        }
        ByteBuffer body = dst.duplicate();
        link.readFully(body, expected, abort);
        verify(expected, dst.duplicate());
    }

    /** Receives the control frame {@code expected} (its payloadBytes is ignored: any length up to the limit). */
    byte[] readBytes(FrameHeader expected) {
        int length = readHeader(expected, maxControlBytes);
        byte[] bytes = new byte[length];
        ByteBuffer body = ByteBuffer.wrap(bytes);
        link.readFully(body, expected, abort);
        verify(expected.withPayloadBytes(length), body.flip());
        return bytes;
    }

    private int readHeader(FrameHeader expected, int maxPayload) {
        headerBytes.clear();
        link.readFully(headerBytes, expected, abort);
        if (!FrameHeader.hasMagic(headerBytes)) {
            throw corrupt("a frame header without the lora4j ring magic/version", expected);
        }
        int length = FrameHeader.payloadBytes(headerBytes);
        if (length < 0 || length > maxPayload) {
            throw corrupt("a frame header announcing " + length + " payload bytes (limit " + maxPayload + ")", expected);
        }
        return length;
    }

    private void verify(FrameHeader expected, ByteBuffer body) {
        crc.reset();
        crc.update(headerBytes.clear().limit(FrameHeader.CRC_OFFSET));
        crc.update(body.duplicate());
        headerBytes.clear();
        int sent = headerBytes.getInt(FrameHeader.CRC_OFFSET);
        int actual = (int) crc.getValue();
        if (sent != actual) {
            throw corrupt(String.format("a frame whose CRC-32C is %08x but whose header says %08x", actual, sent), expected);
        }
        FrameHeader got = FrameHeader.decode(headerBytes);
        if (!got.equals(expected)) {
            throw new CommunicatorException("rank " + selfRank + " expected " + expected + " from " + link.peer()
                    + " but received " + got + ": the ranks are not calling the same collectives in the same order"
                    + " with the same lengths", link.peerRank(), link.peerAddress(), null);
        }
    }

    private CorruptFrameException corrupt(String what, FrameHeader expected) {
        return new CorruptFrameException("rank " + selfRank + " received " + what + " from " + link.peer()
                + " while expecting " + expected + ": the data was damaged in transit or the peer is not a lora4j ring",
                link.peerRank(), link.peerAddress());
    }
}
