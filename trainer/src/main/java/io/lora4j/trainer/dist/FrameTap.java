package io.lora4j.trainer.dist;

import java.nio.ByteBuffer;

/** Test hook on the send path: called with the encoded header and payload after the CRC is set, before the write. */
@FunctionalInterface
interface FrameTap {
    void beforeSend(FrameHeader header, ByteBuffer headerBytes, ByteBuffer payload);
}
