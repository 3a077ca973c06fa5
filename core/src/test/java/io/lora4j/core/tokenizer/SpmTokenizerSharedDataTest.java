package io.lora4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.testing.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** SentencePiece-BPE against llama.cpp's tokenizer test vectors, from all three file formats. */
class SpmTokenizerSharedDataTest {
    static final String[] SOURCES = {"tokenizers/ggml-vocab-llama-spm.gguf", "tokenizers/llama2_tokenizer.model", "tokenizers/llama_tokenizer.json"};

    static Stream<Arguments> sources() {
        return Arrays.stream(SOURCES).map(Arguments::of);
    }

    record Case(String text, int[] ids) {}

    /** llama.cpp's test-tokenizer-0 format: inputs separated by "\n__ggml_vocab_test__\n", one line of ids per input. */
    static List<Case> cases() throws Exception {
        String inp = Files.readString(SharedData.file("tokenizers/ggml-vocab-llama-spm.gguf.inp"), StandardCharsets.UTF_8);
        List<String> out = Files.readAllLines(SharedData.file("tokenizers/ggml-vocab-llama-spm.gguf.out"), StandardCharsets.UTF_8);
        String[] texts = inp.split("\n__ggml_vocab_test__\n", -1); // every input ends with the separator
        assertEquals(texts.length - 1, out.size(), "one output line per input");
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            String line = out.get(i).trim();
            int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split("\\s+")).mapToInt(Integer::parseInt).toArray();
            cases.add(new Case(texts[i], ids));
        }
        return cases;
    }

    @ParameterizedTest
    @MethodSource("sources")
    void encodesEveryLlamaCppTestCase(String source) throws Exception {
        Tokenizer tok = Tokenizers.load(SharedData.file(source));
        List<Case> cases = cases();
        assertEquals(46, cases.size());
        for (Case c : cases) {
            assertArrayEquals(c.ids(), tok.encode(c.text(), false), source + ": " + c.text().replace("\n", "\\n"));
        }
    }

    @ParameterizedTest
    @MethodSource("sources")
    void matchesTheHuggingFaceEncodedVector(String source) throws Exception {
        Tokenizer tok = Tokenizers.load(SharedData.file(source));
        JsonNode v = new ObjectMapper().readTree(SharedData.file("tokenizers/llama_encoded.json").toFile());
        int[] expected = new int[v.get("token_ids").size()];
        for (int i = 0; i < expected.length; i++) expected[i] = v.get("token_ids").get(i).asInt();
        String text = v.get("text").asText();
        assertArrayEquals(expected, tok.encode(text, true));
        // "<s> Fatouville…": with the special pieces written out, llama.cpp keeps the space after BOS, as HF does
        assertEquals(v.get("decoded_text").asText(), tok.detokenize(expected, false, true));
        assertEquals(" " + text, tok.detokenize(expected, true, false), "llama.cpp keeps the prefix space after a removed BOS");
        assertEquals(text, tok.decode(expected));
        assertEquals(text, tok.detokenize(Arrays.copyOfRange(expected, 1, expected.length), true, false), "without BOS the prefix space goes");
    }

    @ParameterizedTest
    @MethodSource("sources")
    void specialPiecesInTheTextAreOnlyTokensWithParseSpecial(String source) throws Exception {
        Tokenizer tok = Tokenizers.load(SharedData.file(source));
        String text = "Hi</s><s>there";
        int[] plain = tok.encode(text, false);
        assertFalse(Arrays.stream(plain).anyMatch(id -> id == 1 || id == 2), Arrays.toString(plain));
        int[] hi = tok.encode("Hi", false), there = tok.encode("there", false);
        // after a special token llama.cpp starts the next text with the space prefix again
        int[] expected = IntStream.concat(IntStream.concat(Arrays.stream(hi), IntStream.of(2, 1)), Arrays.stream(there)).toArray();
        assertArrayEquals(expected, tok.encode(text, false, true));
        assertEquals("<unk>", tok.detokenize(new int[] {0}, false, true));
        assertEquals("", tok.detokenize(new int[] {0, 1, 2}, false, false), "unknown and control tokens have no text");
    }

    @ParameterizedTest
    @MethodSource("sources")
    void decodeInvertsEncode(String source) throws Exception {
        Tokenizer tok = Tokenizers.load(SharedData.file(source));
        for (String s : new String[] {"Hello world", " leading space", "  a   b\n\n\t", "你好，世界！这是一个测试。", "emoji 🦙🚀 and ümlauts", "ctrl\u0001\u0007\u001f chars",
                "tabs\tand\r\nnewlines", "", " ", "a", "The quick brown fox jumps over the lazy dog. 1234567890"}) {
            assertEquals(s, tok.decode(tok.encode(s, true)), "round trip of '" + s + "'");
        }
        for (Case c : cases()) assertEquals(c.text(), tok.decode(tok.encode(c.text(), true)));
    }

    @Test
    void theSameVocabularyHasTheSameFingerprintFromEveryFormat() throws Exception {
        String fp = null;
        for (String s : SOURCES) {
            Tokenizer tok = Tokenizers.load(SharedData.file(s));
            assertEquals(32000, tok.vocabSize(), s);
            assertEquals(1, tok.bosId());
            assertEquals(2, tok.eosId());
            assertEquals(0, tok.unkId());
            if (fp == null) fp = tok.fingerprint();
            assertEquals(fp, tok.fingerprint(), s);
        }
        assertNotEquals(fp, Tokenizers.load(SharedData.file("models/tok512.model")).fingerprint());
    }

    @Test
    void stories260kVocabularyTokenizesLikeLlamaCpp() throws Exception {
        int[] expected = io.lora4j.core.model.TokenLines.readTokens(SharedData.file("reference/stories260K/tokens.txt")).get(0);
        for (String s : new String[] {"models/tok512.model", "models/stories260K.gguf"}) {
            Tokenizer tok = Tokenizers.load(SharedData.file(s));
            assertArrayEquals(expected, tok.encode("Once upon a time, there was a little girl named Lily.", true), s);
        }
    }
}
