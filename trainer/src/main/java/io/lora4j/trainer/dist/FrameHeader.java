package io.lora4j.trainer.dist;

import java.nio.ByteBuffer;

/**
 * The fixed 40-byte header in front of every frame (big-endian):
 * magic(4) op(1) version(1) step(2) opSeq(8) opLength(8) chunk(4) frame(4) payloadBytes(4) crc(4).
 * The CRC-32C covers the first 36 header bytes and the payload, so a damaged header is caught like a damaged payload.
 * opSeq numbers the collectives a rank has called; with op, step, chunk and frame it lets the receiver check that
 * both neighbours are at the same point of the same collective.
 */
record FrameHeader(Op op, long opSeq, int step, int chunk, int frame, long opLength, int payloadBytes) {
    static final int BYTES = 40;
    static final int CRC_OFFSET = 36;
    static final int MAGIC = 0x4C344A52; // "L4JR"
    static final byte VERSION = 1;

    enum Op {
        ALL_REDUCE, ALL_GATHER, BROADCAST;

        static Op of(int code) {
            Op[] all = values();
            return code >= 0 && code < all.length ? all[code] : null;
        }
    }

    /** Writes the header with a zero CRC into {@code dst} at index 0 (absolute; dst position untouched). */
    void encode(ByteBuffer dst) {
        dst.putInt(0, MAGIC);
        dst.put(4, (byte) op.ordinal());
        dst.put(5, VERSION);
        dst.putShort(6, (short) step);
        dst.putLong(8, opSeq);
        dst.putLong(16, opLength);
        dst.putInt(24, chunk);
        dst.putInt(28, frame);
        dst.putInt(32, payloadBytes);
        dst.putInt(CRC_OFFSET, 0);
    }

    /** Just the payload length, read before the CRC can be checked (the payload must be read first). */
    static int payloadBytes(ByteBuffer src) {
        return src.getInt(32);
    }

    static boolean hasMagic(ByteBuffer src) {
        return src.getInt(0) == MAGIC && src.get(5) == VERSION;
    }

    /** Decodes a header whose CRC has been verified; null op means an unknown op code. */
    static FrameHeader decode(ByteBuffer src) {
        return new FrameHeader(Op.of(src.get(4)), src.getLong(8), src.getShort(6) & 0xFFFF, src.getInt(24), src.getInt(28),
                src.getLong(16), src.getInt(32));
    }

    FrameHeader withPayloadBytes(int bytes) {
        return new FrameHeader(op, opSeq, step, chunk, frame, opLength, bytes);
    }

    @Override
    public String toString() {
        return op + " #" + opSeq + " step " + step + " chunk " + chunk + " frame " + frame + " (" + payloadBytes
                + " payload bytes, op length " + opLength + ")";
    }
}
