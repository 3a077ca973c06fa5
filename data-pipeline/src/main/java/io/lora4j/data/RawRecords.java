package io.lora4j.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads the records of one input file on an executor (never on the driver), streaming and lazily: a JSON array
 * element by element, JSON Lines line by line with strict UTF-8 checks. Every record, good or bad, comes out with its
 * position; a file that holds nothing comes out as one rejected entry, so "read = kept + rejected + duplicates" holds.
 * Memory stays bounded by one record: a line longer than {@link #MAX_LINE_BYTES} (say, a binary file) is skipped
 * without being held and rejected with its first bytes.
 */
final class RawRecords {
    static final int MAX_LINE_BYTES = 16 << 20;
    private static final int KEEP_OF_LONG_LINE = 1024;

    /** A record's text and position, or why it could not be read. */
    record Raw(String where, String json, String reject) implements Serializable {}

    private RawRecords() {}

    static Iterator<Raw> read(String file) throws IOException {
        Path p = new Path(file);
        FileSystem fs = p.getFileSystem(new Configuration());
        InputStream in = new BufferedInputStream(fs.open(p), 1 << 16);
        try {
            in.mark(1 << 16);
            int c, skipped = 0; // whitespace and a byte-order mark before the first character, within the mark's reach
            do c = in.read(); while (++skipped < (1 << 16) && (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0xEF || c == 0xBB || c == 0xBF));
            in.reset();
            if (c < 0) {
                in.close();
                return java.util.List.of(new Raw(file, "", "empty file")).iterator();
            }
            return c == '[' ? new ArrayIterator(file, in) : new LineIterator(file, in);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Produces records one at a time; closes the stream after the last. */
    private abstract static class Lazy implements Iterator<Raw> {
        final String file;
        final InputStream in;
        private Raw next;
        private boolean done;

        Lazy(String file, InputStream in) {
            this.file = file;
            this.in = in;
        }

        /** The next record, or null at the end. */
        abstract Raw advance() throws IOException;

        @Override
        public boolean hasNext() {
            if (next == null && !done) {
                try {
                    next = advance();
                    if (next == null) {
                        done = true;
                        in.close();
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(file + ": " + e.getMessage(), e);
                }
            }
            return next != null;
        }

        @Override
        public Raw next() {
            if (!hasNext()) throw new NoSuchElementException();
            Raw r = next;
            next = null;
            return r;
        }
    }

    private static final class ArrayIterator extends Lazy {
        private JsonParser parser;
        private int index;
        private boolean broken;

        ArrayIterator(String file, InputStream in) {
            super(file, in);
        }

        @Override
        Raw advance() throws IOException {
            if (broken) return null;
            try {
                if (parser == null) {
                    parser = RecordParser.JSON.getFactory().createParser(in);
                    parser.nextToken(); // START_ARRAY
                }
                JsonToken t = parser.nextToken();
                if (t == JsonToken.END_ARRAY || t == null) {
                    parser.close();
                    return null;
                }
                JsonNode node = RecordParser.JSON.readTree(parser);
                return new Raw(file + "[" + index++ + "]", node.toString(), null);
            } catch (IOException e) {
                broken = true;
                return new Raw(file + "[" + index + "]", "", "malformed JSON array: at element " + index + ", " + firstLine(e.getMessage())
                        + " (the rest of the file is skipped)");
            }
        }
    }

    private static final class LineIterator extends Lazy {
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private final byte[] buffer = new byte[1 << 16];
        private int pos, limit, lineNo;
        private boolean eof, produced;

        LineIterator(String file, InputStream in) {
            super(file, in);
        }

        @Override
        Raw advance() throws IOException {
            Raw r = nextLine();
            if (r == null && !produced) r = new Raw(file, "", "empty file"); // nothing but blank lines
            produced = true;
            return r;
        }

        private Raw nextLine() throws IOException {
            while (!eof) {
                line.reset();
                long length = readLine();
                lineNo++;
                byte[] bytes = line.toByteArray();
                String where = file + ":" + lineNo;
                if (length > MAX_LINE_BYTES) {
                    String head = new String(bytes, 0, KEEP_OF_LONG_LINE, StandardCharsets.UTF_8);
                    return new Raw(where, head, "line too long: " + length + " bytes, the limit is " + MAX_LINE_BYTES);
                }
                if (bytes.length == 0 || (bytes.length == 1 && bytes[0] == '\r')) continue;
                String text;
                try {
                    text = decoder.decode(ByteBuffer.wrap(bytes)).toString().strip();
                } catch (CharacterCodingException e) {
                    return new Raw(where, new String(bytes, StandardCharsets.UTF_8), "invalid UTF-8");
                }
                if (lineNo == 1 && text.startsWith("\uFEFF")) text = text.substring(1).strip();
                if (text.isEmpty()) continue;
                return new Raw(where, text, null); // parsed once, by the encoding step
            }
            return null;
        }

        /** Reads up to the next newline into {@code line} (at most MAX_LINE_BYTES of it); returns the line's full length. */
        private long readLine() throws IOException {
            long length = 0;
            while (true) {
                if (pos == limit) {
                    limit = in.read(buffer, 0, buffer.length);
                    pos = 0;
                    if (limit <= 0) {
                        limit = 0;
                        eof = true;
                        return length;
                    }
                }
                int start = pos;
                while (pos < limit && buffer[pos] != '\n') pos++;
                int n = pos - start;
                if (length < MAX_LINE_BYTES) line.write(buffer, start, (int) Math.min(n, MAX_LINE_BYTES - length));
                length += n;
                if (pos < limit) {
                    pos++; // the newline
                    return length;
                }
            }
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.split("\n")[0];
    }
}
