package io.lora4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.testing.SharedData;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The fast byte-level BPE path (hand-written pre-tokenizer scanners, word and pair caches, characters started from
 * their own symbol) against plain references on a large varied corpus: all of the English and Chinese Alpaca files,
 * llama.cpp's vocab-test inputs, and seeded random Unicode (combining marks, emoji and ZWJ sequences, digit runs,
 * apostrophes, runs of newlines, tabs and Unicode spaces, any assigned or unassigned code point).
 */
class ByteLevelBpeCorpusSharedDataTest {

    static List<String> corpus() throws Exception {
        List<String> texts = new ArrayList<>();
        for (String f : new String[] {"instructions/alpaca_cleaned_en_1000.json", "instructions/alpaca_zh_1000.json"}) {
            for (JsonNode r : new ObjectMapper().readTree(SharedData.file(f).toFile())) {
                for (String field : new String[] {"instruction", "input", "output"}) {
                    String s = r.path(field).asText("");
                    if (!s.isEmpty()) texts.add(s);
                }
            }
        }
        for (String family : new String[] {"llama3", "qwen2"}) {
            String inp = Files.readString(SharedData.file("families/" + family + "/vocab-test.inp"));
            texts.addAll(Arrays.asList(inp.split("\n__ggml_vocab_test__\n")));
        }
        texts.addAll(PreTokenizerTexts.all());
        texts.addAll(randomUnicode(3000, 7));
        return texts;
    }

    /** Random strings: tricky characters by weight, and any code point (except lone surrogates) now and then. */
    static List<String> randomUnicode(int count, long seed) {
        String tricky = " \t\n\r\u000b\f'’sStTmMdDrReEvVlL0123456789٣۴߄०๓໒༢၂៣᠓0¹²³½⅓ⅫⅦ〇aZzéÉßǅſK中文字日本語한국어ไทยعربيעבריתкириллица"
                + "😀🦙🚀😶‍🌫️👩🏽‍💻✅❤️\u0301\u0308\u0327\u20dd\u200d\u200c\ufe0f\u00a0\u2000\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u1680\u0085"
                + "!?.,;:-—…«»“”()[]{}<>@#$%^&*_+=|\\/~`\"\u0000\u007f\u00ad";
        int[] cps = tricky.codePoints().toArray();
        Random r = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + r.nextInt(i % 10 == 0 ? 200 : 24);
            for (int k = 0; k < len; k++) {
                int c;
                if (r.nextInt(8) == 0) {
                    do c = r.nextInt(r.nextBoolean() ? 0x3400 : 0x110000); while (c >= 0xD800 && c <= 0xDFFF);
                } else {
                    c = cps[r.nextInt(cps.length)];
                }
                int repeat = r.nextInt(6) == 0 ? 1 + r.nextInt(9) : 1; // runs: digits, newlines, spaces, marks
                for (int j = 0; j < repeat; j++) sb.appendCodePoint(c);
            }
            out.add(sb.toString());
        }
        return out;
    }

    @Test
    void scannersSplitExactlyAsTheRegexes() throws Exception {
        for (String s : corpus()) {
            assertEquals(PreTokenizer.splitWithRegex(PreTokenizer.LLAMA3_REGEX, s), PreTokenizer.LLAMA3.words(s), () -> "llama3: " + s);
            assertEquals(PreTokenizer.splitWithRegex(PreTokenizer.QWEN2_REGEX, s), PreTokenizer.QWEN2.words(s), () -> "qwen2: " + s);
            assertEquals(PreTokenizer.splitWithRegex(PreTokenizer.GPT2_REGEX, s), PreTokenizer.GPT2.words(s), () -> "gpt2: " + s);
        }
    }

    static void assertSameAsReference(String family, Pattern regex, boolean ignoreMerges) throws Exception {
        Tokenizer fast = Tokenizers.load(SharedData.file("families/" + family + "/hf/tokenizer.json"));
        NaiveByteLevelBpe naive = new NaiveByteLevelBpe(fast.model(), regex, ignoreMerges);
        List<String> texts = corpus();
        int compared = 0;
        for (int pass = 0; pass < 2; pass++) { // the second pass is served largely from the word cache
            for (String s : texts) {
                if (s.contains("<|") || s.contains("<tool") || s.contains("</tool")) continue; // special tokens: not the reference's job
                List<Integer> expected = naive.encode(s);
                List<Integer> actual = Arrays.stream(fast.encode(s, false)).boxed().collect(Collectors.toList());
                if (!expected.equals(actual)) assertEquals(expected, actual, family + ": '" + s + "'");
                compared++;
            }
        }
        assertTrue(compared > 2 * 5000, "compared " + compared);
    }

    @Test
    void llama3EncodesTheCorpusAsThePlainReference() throws Exception {
        assertSameAsReference("llama3", PreTokenizer.LLAMA3_REGEX, true);
    }

    @Test
    void qwen2EncodesTheCorpusAsThePlainReference() throws Exception {
        assertSameAsReference("qwen2", PreTokenizer.QWEN2_REGEX, false);
    }

    @Test
    void threadsSharingOneTokenizerGetTheSameIds() throws Exception {
        // each thread has its own buffers and caches; four threads in different orders must agree with one alone
        Tokenizer tok = Tokenizers.load(SharedData.file("families/qwen2/hf/tokenizer.json"));
        List<String> all = corpus(), texts = new ArrayList<>();
        for (int i = 0; i < all.size(); i += 3) texts.add(all.get(i));
        List<int[]> expected = new ArrayList<>();
        for (String s : texts) expected.add(tok.encode(s, false));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                done.add(pool.submit(() -> {
                    List<Integer> order = new ArrayList<>();
                    for (int i = 0; i < texts.size(); i++) order.add(i);
                    java.util.Collections.shuffle(order, new Random(seed));
                    int wrong = 0;
                    for (int i : order) if (!Arrays.equals(expected.get(i), tok.encode(texts.get(i), false))) wrong++;
                    return wrong;
                }));
            }
            for (java.util.concurrent.Future<Integer> f : done) assertEquals(0, f.get());
        } finally {
            pool.shutdownNow();
        }
    }
}
