package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.text.Normalizer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The regex-free normalization gives exactly the strings (and so the hashes) of the regex one. */
class SplitAndDedupTest {
    static String reference(String s) {
        return Normalizer.normalize(s, Normalizer.Form.NFC).replaceAll("\\s+", " ").trim();
    }

    @Test
    void normalizeEqualsTheRegexDefinition() {
        for (String s : List.of("", " ", "a", " a ", "a  b", "a \t\nb", "\u0001 a \u0001", "a\u000Bb\fc\rd", "  lead", "trail  ", "a\u00A0\u00A0b",
                "cafe\u0301", "caf\u00e9", "\u4f60\u597d  \u4e16\u754c", "\u1100\u1161", "x \u0000 y", "\r\n", "a\u2003\u2003b", "A\u030A")) {
            assertEquals(reference(s), SplitAndDedup.normalize(s), () -> "'" + s + "'");
        }
        Random r = new Random(7);
        char[] alphabet = {' ', '\t', '\n', '\u000B', '\f', '\r', '\u0000', '\u001F', 'a', 'b', '\u00e9', 'e', '\u0301', '\u00A0', '\u4f60', '\u3000', '\u0085'};
        for (int i = 0; i < 20_000; i++) {
            char[] c = new char[r.nextInt(12)];
            for (int j = 0; j < c.length; j++) c[j] = alphabet[r.nextInt(alphabet.length)];
            String s = new String(c);
            assertEquals(reference(s), SplitAndDedup.normalize(s), () -> "'" + s + "'");
        }
    }
}
