package io.lora4j.data;

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

    /**
     * A piece of the input for one task: a whole file ({@code start < 0}), or the JSON Lines that start at a byte in
     * [start, end) of a large file, with the number of newlines before {@code start} (from {@link #countLines}) so
     * that line numbers are the file's own. Reading a file by slices gives exactly the records of reading it whole.
     */
    record Slice(String file, long start, long end, long newlinesBefore) implements Serializable {
        static Slice whole(String file) {
            return new Slice(file, -1, -1, 0);
        }
    }

    /** Newlines in [start, end) of a file, and whether any byte there is not blank (space, tab, CR, LF, BOM bytes). */
    record LineCount(long newlines, boolean nonBlank) implements Serializable {}

    private RawRecords() {}

    static Iterator<Raw> read(Slice s) throws IOException {
        if (s.start() < 0) return read(s.file());
        Path p = new Path(s.file());
        FileSystem fs = p.getFileSystem(HadoopConf.get());
        org.apache.hadoop.fs.FSDataInputStream in = fs.open(p, 1 << 16);
        try {
            long lineStart = s.start(), lineNo = s.newlinesBefore();
            if (s.start() > 0) {
                // the line that starts in this slice first: after the first newline at or after start - 1
                in.seek(s.start() - 1);
                InputStream b = new BufferedInputStream(in, 1 << 16);
                int c;
                lineStart = s.start() - 1;
                while ((c = b.read()) >= 0 && c != '\n') lineStart++;
                if (c < 0) {
                    b.close();
                    return java.util.Collections.emptyIterator();
                }
                lineStart++;
                if (lineStart > s.start()) lineNo++; // the newline that ended the previous slice's last line is ours to count
                return new LineIterator(s.file(), b, lineStart, s.end(), (int) lineNo);
            }
            return new LineIterator(s.file(), new BufferedInputStream(in, 1 << 16), 0, s.end(), 0);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Counts what {@link Slice#newlinesBefore()} needs, for one byte range (a task of its own: the file is not read twice by one task). */
    static LineCount countLines(String file, long start, long end) throws IOException {
        Path p = new Path(file);
        FileSystem fs = p.getFileSystem(HadoopConf.get());
        try (org.apache.hadoop.fs.FSDataInputStream in = fs.open(p, 1 << 16)) {
            in.seek(start);
            byte[] buf = new byte[1 << 16];
            long left = end - start, newlines = 0;
            boolean nonBlank = false;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) break;
                for (int i = 0; i < n; i++) {
                    byte c = buf[i];
                    if (c == '\n') newlines++;
                    else if (!nonBlank && c != ' ' && c != '\r' && c != '\t' && c != (byte) 0xEF && c != (byte) 0xBB && c != (byte) 0xBF) nonBlank = true;
                }
                left -= n;
            }
            return new LineCount(newlines, nonBlank);
        }
    }

    /** Whether a file holds a JSON array (its first character after blanks and a byte-order mark is '['). */
    static boolean isJsonArray(String file) throws IOException {
        Path p = new Path(file);
        try (InputStream in = new BufferedInputStream(p.getFileSystem(HadoopConf.get()).open(p), 1 << 16)) {
            int c, skipped = 0;
            do c = in.read(); while (++skipped < (1 << 16) && (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0xEF || c == 0xBB || c == 0xBF));
            return c == '[';
        }
    }

    static Iterator<Raw> read(String file) throws IOException {
        Path p = new Path(file);
        FileSystem fs = p.getFileSystem(HadoopConf.get());
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
            return c == '[' ? new ArrayIterator(file, in) : new LineIterator(file, in, 0, Long.MAX_VALUE, 0);
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

    /**
     * The elements of a JSON array, split at top-level commas by a small scanner (strings and nesting tracked) and each
     * parsed on its own: a malformed element (a stray or missing comma, a broken record, bad UTF-8) is rejected with
     * its text and reading goes on with the next one, so no record after it is lost. An array cut short at the end of
     * the file rejects its last, unfinished element.
     */
    private static final class ArrayIterator extends Lazy {
        private final ByteArrayOutputStream element = new ByteArrayOutputStream();
        private boolean started, finished;
        private int index;

        ArrayIterator(String file, InputStream in) {
            super(file, in);
        }

        @Override
        Raw advance() throws IOException {
            if (finished) return null;
            if (!started) {
                int c;
                while ((c = in.read()) >= 0 && c != '[') { /* blanks and a byte-order mark before '[' */ }
                started = true;
            }
            element.reset();
            int depth = 0, c;
            boolean inString = false, escaped = false, tooLong = false;
            while ((c = in.read()) >= 0) {
                if (inString) {
                    if (escaped) escaped = false;
                    else if (c == '\\') escaped = true;
                    else if (c == '"') inString = false;
                } else if (c == '"') {
                    inString = true;
                } else if (c == '{' || c == '[') {
                    depth++;
                } else if (c == '}' || (c == ']' && depth > 0)) {
                    depth--;
                } else if (depth == 0 && (c == ',' || c == ']')) {
                    if (c == ']') finished = true;
                    break;
                }
                if (element.size() < MAX_LINE_BYTES) element.write(c);
                else tooLong = true;
            }
            String where = file + "[" + index++ + "]";
            if (c < 0) finished = true;
            String text = decode(element.toByteArray());
            if (c == ']' && text != null && text.isBlank()) {
                if (index == 1) return null; // "[]": no elements
                return new Raw(where, "", "malformed JSON array: a comma before the closing ']' (an empty element)");
            }
            if (c < 0 && (text == null || text.isBlank())) {
                return index == 1 ? new Raw(file, "", "malformed JSON array: the file ends before the closing ']'") : null;
            }
            if (c < 0) return new Raw(where, text, "malformed JSON array: the file ends inside this element (no closing ']')");
            if (tooLong) return new Raw(where, text.substring(0, Math.min(text.length(), KEEP_OF_LONG_LINE)), "element longer than " + MAX_LINE_BYTES + " bytes");
            if (text == null) return new Raw(where, "", "not valid UTF-8");
            if (text.isBlank()) return new Raw(where, "", "malformed JSON array: an empty element (two commas in a row)");
            try {
                return new Raw(where, RecordParser.JSON.readTree(text).toString(), null);
            } catch (IOException e) {
                return new Raw(where, text.strip(), "malformed JSON: " + firstLine(e.getMessage()));
            }
        }

        private static String decode(byte[] bytes) {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                return null;
            }
        }
    }

    /** The lines that start at a byte in [lineStart, end) (a whole file: end = MAX_VALUE), numbered after {@code lineNo}. */
    private static final class LineIterator extends Lazy {
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private final byte[] buffer = new byte[1 << 16];
        private final long end;
        private long lineStart;
        private int pos, limit, lineNo;
        private boolean eof, produced;

        LineIterator(String file, InputStream in, long lineStart, long end, int lineNo) {
            super(file, in);
            this.lineStart = lineStart;
            this.end = end;
            this.lineNo = lineNo;
            this.produced = end != Long.MAX_VALUE; // a slice never stands for an empty file: the driver reads those whole
        }

        @Override
        Raw advance() throws IOException {
            Raw r = nextLine();
            if (r == null && !produced) r = new Raw(file, "", "empty file"); // nothing but blank lines
            produced = true;
            return r;
        }

        private Raw nextLine() throws IOException {
            while (!eof && lineStart < end) {
                line.reset();
                long length = readLine();
                lineStart += length + 1;
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
