package io.lora4j.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * Counts the bytes a streamed tensor writes through to the file's channel, so a wrong-sized tensor fails instead of
 * shifting every later offset (GGUF and safetensors writers). Closing it leaves the file's channel open.
 */
public final class CountingChannel implements WritableByteChannel {
    private final WritableByteChannel ch;
    private long count;

    public CountingChannel(WritableByteChannel ch) {
        this.ch = ch;
    }

    public long count() {
        return count;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int n = ch.write(src);
        count += n;
        return n;
    }

    @Override
    public boolean isOpen() {
        return ch.isOpen();
    }

    @Override
    public void close() {
        // the file's channel is closed by whoever opened it
    }
}
