package io.lora4j.core.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Texts that exercise every branch of the pre-tokenizer patterns, plus seeded random mixes of tricky characters. */
final class PreTokenizerTexts {
    private PreTokenizerTexts() {}

    static List<String> all() {
        List<String> texts = new ArrayList<>(List.of("", " ", "  ", "\n", " \n ", "a", " a", "a ", "a  ", "  a", "\t\ta", "I'm", "i'M", "'s'S'RE'Ve",
                "don't'll", "''", "'", " '", "12345678", "a1b22c333d4444", " 1", "x\u3000\u3000y", "x\u00a0 y", "\r\n\r\n", "a\r\nb", " \r\n  x",
                "!!!\n\n?", " ...\r\n", "Hello, world! How's it going? 🦙🦙 ok", "你好，世界！", "ℕ²³⁴ Ⅻ ½", "tab\tsep", "\u2028line\u2029para",
                "mixed   spaces\t\t\nand\u0085nel", "Äpfel über Öl", "e\u0301 combining", "\u0000nul\u007f", "ſ 'ſ \u212A 'K"));
        String alphabet = " \t\n\r'sStTmMdDrReEvVlL0123456789aZé中😀!?.,-\u3000\u00a0\u0301\u2028½Ⅻ";
        int[] cps = alphabet.codePoints().toArray();
        Random r = new Random(42);
        for (int i = 0; i < 2000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(12);
            for (int k = 0; k < len; k++) sb.appendCodePoint(cps[r.nextInt(cps.length)]);
            texts.add(sb.toString());
        }
        return texts;
    }
}
