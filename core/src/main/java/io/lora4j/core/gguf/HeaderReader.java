package io.lora4j.core.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Sequential little-endian reads from a file channel through a small window. Every read is checked against the bytes
 * left in the file first, so a truncated or lying header fails with the offset instead of allocating.
 */
final class HeaderReader {
    private static final int WINDOW = 1 << 16;
    private final FileChannel ch;
    private final String file;
    private final long size;
    private final ByteBuffer buf = ByteBuffer.allocate(WINDOW).order(ByteOrder.LITTLE_ENDIAN);
    private long bufStart; // file offset of buf[0]

    HeaderReader(FileChannel ch, String file) throws IOException {
        this.ch = ch;
        this.file = file;
        this.size = ch.size();
        buf.limit(0);
    }

    long position() {
        return bufStart + buf.position();
    }

    long remaining() {
        return size - position();
    }

    long fileSize() {
        return size;
    }

    String file() {
        return file;
    }

    /** An error about the field that starts at {@code offset}. */
    GgufFormatException error(long offset, String what) {
        return new GgufFormatException(file + ": at offset " + offset + ": " + what);
    }

    private void need(long n, String what) throws IOException {
        if (n > remaining()) {
            throw error(position(), "the file ends " + remaining() + " bytes later, but " + what + " needs " + n + " bytes (truncated file?)");
        }
        if (buf.remaining() >= n) return;
        long pos = position();
        buf.clear();
        bufStart = pos;
        int want = (int) Math.min(WINDOW, size - pos);
        while (buf.position() < want) {
            if (ch.read(buf, pos + buf.position()) < 0) throw error(pos + buf.position(), "unexpected end of file while reading " + what);
        }
        buf.flip();
    }

    int u32(String what) throws IOException {
        need(4, what);
        return buf.getInt();
    }

    long u64(String what) throws IOException {
        need(8, what);
        return buf.getLong();
    }

    byte u8(String what) throws IOException {
        need(1, what);
        return buf.get();
    }

    short u16(String what) throws IOException {
        need(2, what);
        return buf.getShort();
    }

    float f32(String what) throws IOException {
        need(4, what);
        return buf.getFloat();
    }

    double f64(String what) throws IOException {
        need(8, what);
        return buf.getDouble();
    }

    /**
     * A GGUF string: u64 length + UTF-8 bytes. The length is checked against {@code max} and the bytes left before
     * anything is allocated; bytes that are not valid UTF-8 are an error rather than silently replaced.
     */
    String string(String what, long max) throws IOException {
        long start = position();
        long n = u64(what + " length");
        if (n < 0 || n > max) {
            throw error(start, what + " length " + Long.toUnsignedString(n) + " exceeds the limit of " + max + " bytes");
        }
        if (n > remaining()) {
            throw error(start, what + " of " + n + " bytes runs past the end of the file (" + remaining() + " bytes left)");
        }
        byte[] bytes = new byte[(int) n];
        int off = 0;
        while (off < n) {
            need(Math.min(n - off, WINDOW), what);
            int take = (int) Math.min(n - off, buf.remaining());
            buf.get(bytes, off, take);
            off += take;
        }
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw error(start, what + " is not valid UTF-8");
        }
    }
}
