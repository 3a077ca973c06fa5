package io.lora4j.trainer.dist;

import java.nio.ByteBuffer;

/** Fixed big-endian encoding of the small values that control messages carry. */
final class Bytes {
    private Bytes() {}

    static byte[] ofLong(long v) {
        return ByteBuffer.allocate(Long.BYTES).putLong(v).array();
    }

    static long toLong(byte[] b, int fromRank) {
        if (b.length != Long.BYTES) {
            throw new CommunicatorException("rank " + fromRank + " sent " + b.length + " bytes where a long (8 bytes) was expected", null);
        }
        return ByteBuffer.wrap(b).getLong();
    }
}
