package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading one input file: positions, strict UTF-8, empty and whitespace files, a broken array, and bounded memory for long lines. */
class RawRecordsTest {
    @TempDir
    Path tmp;

    private List<RawRecords.Raw> read(String name, byte[] content) throws Exception {
        Path f = tmp.resolve(name);
        Files.write(f, content);
        List<RawRecords.Raw> out = new ArrayList<>();
        RawRecords.read(f.toString()).forEachRemaining(out::add);
        return out;
    }

    @Test
    void jsonLinesKeepLineNumbersAndSkipBlankLines() throws Exception {
        List<RawRecords.Raw> r = read("a.jsonl", "\uFEFF{\"a\": 1}\r\n\n   \n{\"b\": 2}\n{\"c\"".getBytes(StandardCharsets.UTF_8));
        assertEquals(3, r.size());
        assertTrue(r.get(0).where().endsWith("a.jsonl:1"));
        assertEquals("{\"a\": 1}", r.get(0).json(), "byte-order mark and CR removed");
        assertTrue(r.get(1).where().endsWith("a.jsonl:4"));
        assertTrue(r.get(2).where().endsWith("a.jsonl:5"));
        assertEquals("{\"c\"", r.get(2).json(), "the last line without a newline is read too");
        assertNull(r.get(2).reject(), "JSON is checked later, by the encoder");
    }

    @Test
    void slicesOfAFileGiveExactlyTheRecordsOfTheWholeFile() throws Exception {
        ByteArrayOutputStreamHolder b = new ByteArrayOutputStreamHolder();
        b.add("\uFEFF{\"a\": 1}\r\n\n   \n".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 40; i++) b.add(("{\"i\": " + i + ", \"t\": \"" + "x".repeat(i % 7) + "\"}" + (i % 5 == 0 ? "\r\n" : "\n") + (i % 9 == 0 ? "\n\n" : ""))
                .getBytes(StandardCharsets.UTF_8));
        b.add("{\"bad\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1));
        b.add("{\"last\": true}".getBytes(StandardCharsets.UTF_8));
        byte[] content = b.bytes();
        List<RawRecords.Raw> whole = read("s.jsonl", content);
        String file = tmp.resolve("s.jsonl").toString();
        java.util.Random r = new java.util.Random(11);
        for (int trial = 0; trial < 60; trial++) {
            int k = 2 + r.nextInt(5);
            java.util.TreeSet<Long> cuts = new java.util.TreeSet<>();
            while (cuts.size() < k - 1) {
                long c = 1 + r.nextInt(content.length - 1);
                if (trial % 3 == 0) { // cut right at or after a newline
                    while (c < content.length - 1 && content[(int) c] != '\n') c++;
                    c += trial % 2;
                }
                if (c > 0 && c < content.length) cuts.add(c);
            }
            List<Long> bounds = new ArrayList<>(List.of(0L));
            bounds.addAll(cuts);
            bounds.add((long) content.length);
            List<RawRecords.Raw> got = new ArrayList<>();
            long before = 0;
            for (int j = 0; j + 1 < bounds.size(); j++) {
                RawRecords.read(new RawRecords.Slice(file, bounds.get(j), bounds.get(j + 1), before)).forEachRemaining(got::add);
                before += RawRecords.countLines(file, bounds.get(j), bounds.get(j + 1)).newlines();
            }
            assertEquals(whole, got, "cuts " + bounds);
        }
        assertFalse(RawRecords.isJsonArray(file));
    }

    static final class ByteArrayOutputStreamHolder {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        void add(byte[] b) {
            out.writeBytes(b);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    @Test
    void invalidUtf8IsRejectedPerLine() throws Exception {
        byte[] bad = "{\"a\": \"x\"}\n{\"b\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        List<RawRecords.Raw> r = read("latin1.jsonl", bad);
        assertEquals(2, r.size());
        assertNull(r.get(0).reject());
        assertEquals("invalid UTF-8", r.get(1).reject());
        assertTrue(r.get(1).where().endsWith(":2"));
    }

    @Test
    void emptyAndBlankFilesAreOneReject() throws Exception {
        for (String content : new String[] {"", "  \n\n\t\n"}) {
            List<RawRecords.Raw> r = read("e" + content.length() + ".json", content.getBytes(StandardCharsets.UTF_8));
            assertEquals(1, r.size(), "'" + content + "'");
            assertEquals("empty file", r.get(0).reject());
        }
    }

    @Test
    void arrayElementsAndABrokenTail() throws Exception {
        List<RawRecords.Raw> r = read("arr.json", "[{\"a\": 1}, {\"b\": [2, 3]}, {\"c\": ".getBytes(StandardCharsets.UTF_8));
        assertEquals(3, r.size());
        assertTrue(r.get(0).where().endsWith("arr.json[0]"));
        assertEquals("{\"b\":[2,3]}", r.get(1).json());
        assertTrue(r.get(2).reject().startsWith("malformed JSON array: the file ends inside this element"), r.get(2).reject());
        assertEquals("malformed JSON array", RecordParser.category(r.get(2).reject()));
    }

    /** One stray comma used to lose every record after it ("the rest of the file is skipped"); now only the comma is rejected. */
    @Test
    void aBrokenArrayElementLosesNoOtherRecord() throws Exception {
        StringBuilder b = new StringBuilder("[\n");
        for (int i = 0; i < 20; i++) {
            b.append("  {\"instruction\": \"Say \\\"").append(i).append("\\\" [ok], {x}\", \"output\": \"").append(i).append("\"}");
            b.append(i == 1 ? ",," : i < 19 ? "," : "").append('\n');
        }
        b.append("]\n");
        List<RawRecords.Raw> r = read("comma.json", b.toString().getBytes(StandardCharsets.UTF_8));
        assertEquals(21, r.size(), "20 records + the empty element");
        assertEquals(20, r.stream().filter(x -> x.reject() == null).count());
        RawRecords.Raw bad = r.stream().filter(x -> x.reject() != null).findFirst().orElseThrow();
        assertTrue(bad.where().endsWith("comma.json[2]") && bad.reject().contains("empty element"), bad.toString());
        assertEquals("{\"instruction\":\"Say \\\"19\\\" [ok], {x}\",\"output\":\"19\"}", r.get(20).json(), "quotes, brackets and braces inside strings");

        List<RawRecords.Raw> broken = read("broken.json", "[{\"a\": 1}, {\"b\": 2 \"c\": 3}, {\"d\": 4}]".getBytes(StandardCharsets.UTF_8));
        assertEquals(3, broken.size());
        assertTrue(broken.get(1).reject().startsWith("malformed JSON"), broken.get(1).reject());
        assertEquals("{\"b\": 2 \"c\": 3}", broken.get(1).json(), "the broken element is kept for rejects/");
        assertEquals("{\"d\":4}", broken.get(2).json());
        assertTrue(read("trailing.json", "[{\"a\": 1},]".getBytes(StandardCharsets.UTF_8)).get(1).reject().contains("before the closing"));
        assertEquals(0, read("none.json", "[ ]".getBytes(StandardCharsets.UTF_8)).size());
    }

    @Test
    void aLineOverTheLimitIsRejectedWithoutBeingHeld() throws Exception {
        Path f = tmp.resolve("binary.bin");
        long size = RawRecords.MAX_LINE_BYTES + 1000L;
        try (OutputStream out = Files.newOutputStream(f)) {
            byte[] chunk = new byte[1 << 16];
            java.util.Arrays.fill(chunk, (byte) 'x');
            for (long w = 0; w < size; w += chunk.length) out.write(chunk, 0, (int) Math.min(chunk.length, size - w));
            out.write("\n{\"ok\": true}\n".getBytes(StandardCharsets.UTF_8));
        }
        Iterator<RawRecords.Raw> it = RawRecords.read(f.toString());
        RawRecords.Raw first = it.next();
        assertTrue(first.reject().startsWith("line too long: " + size + " bytes"), first.reject());
        assertEquals(1024, first.json().length(), "only the head of the line is kept for rejects/");
        RawRecords.Raw second = it.next();
        assertEquals("{\"ok\": true}", second.json());
        assertTrue(second.where().endsWith(":2"));
        assertFalse(it.hasNext());
    }
}
