package io.lora4j.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads the records of one input file on an executor (never on the driver), streaming: a JSON array element by
 * element, JSON Lines line by line with strict UTF-8 checks. Every record, good or bad, comes out with its position;
 * a file that holds nothing usable comes out as one rejected entry, so "read = kept + rejected + duplicates" holds.
 */
final class RawRecords {
    /** A record's text and position, or why it could not be read. */
    record Raw(String where, String json, String reject) implements Serializable {}

    private RawRecords() {}

    static List<Raw> read(String file) throws IOException {
        Path p = new Path(file);
        FileSystem fs = p.getFileSystem(new Configuration());
        List<Raw> out = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(fs.open(p))) {
            in.mark(1 << 16);
            int c;
            do c = in.read(); while (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0xEF || c == 0xBB || c == 0xBF);
            in.reset();
            if (c < 0) {
                out.add(new Raw(file, "", "empty file"));
            } else if (c == '[') {
                readArray(file, in, out);
            } else {
                readLines(file, in, out);
            }
        }
        return out;
    }

    private static void readArray(String file, InputStream in, List<Raw> out) {
        int i = 0;
        try (JsonParser parser = RecordParser.JSON.getFactory().createParser(in)) {
            parser.nextToken();
            JsonToken t;
            while ((t = parser.nextToken()) != JsonToken.END_ARRAY && t != null) {
                JsonNode node = RecordParser.JSON.readTree(parser);
                out.add(new Raw(file + "[" + i++ + "]", node.toString(), null));
            }
        } catch (IOException e) {
            out.add(new Raw(file + "[" + i + "]", "", "malformed JSON array after element " + i + ": " + firstLine(e.getMessage()) + " (the rest of the file is skipped)"));
        }
    }

    private static void readLines(String file, InputStream in, List<Raw> out) throws IOException {
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int lineNo = 0, b;
        boolean more = true;
        while (more) {
            b = in.read();
            if (b >= 0 && b != '\n') {
                line.write(b);
                continue;
            }
            more = b >= 0;
            lineNo++;
            byte[] bytes = line.toByteArray();
            line.reset();
            if (bytes.length == 0 || (bytes.length == 1 && bytes[0] == '\r')) continue;
            String where = file + ":" + lineNo;
            String text;
            try {
                text = decoder.decode(ByteBuffer.wrap(bytes)).toString().strip();
            } catch (CharacterCodingException e) {
                out.add(new Raw(where, new String(bytes, StandardCharsets.UTF_8), "invalid UTF-8"));
                continue;
            }
            if (text.isEmpty()) continue;
            out.add(new Raw(where, text, null)); // parsed once, by the encoding step
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.split("\n")[0];
    }
}
