package io.lora4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Byte-level BPE on a hand-built vocabulary (the shared fixtures have no LLaMA-3 vocabulary): byte alphabet, merge
 * order by rank, ignore_merges, the fallback for symbols that are not tokens, special tokens, and decoding with
 * llama.cpp's space clean-up.
 */
class ByteLevelBpeTokenizerTest {

    /** The 256 byte characters, then the given merges' results, then extra tokens (CONTROL unless listed in userDefined). */
    static ByteLevelBpeTokenizer tokenizer(String pre, String[] merges, List<String> extraNormal, List<String> control, List<String> userDefined) {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(new String(Character.toChars(ByteLevelBpeTokenizer.byteChar(b))));
        for (String m : merges) if (!tokens.contains(m.replace(" ", ""))) tokens.add(m.replace(" ", ""));
        tokens.addAll(extraNormal);
        int firstSpecial = tokens.size();
        tokens.addAll(control);
        tokens.addAll(userDefined);
        int n = tokens.size();
        int[] types = new int[n];
        Arrays.fill(types, TokenizerModel.NORMAL);
        for (int i = firstSpecial; i < n; i++) types[i] = i < firstSpecial + control.size() ? TokenizerModel.CONTROL : TokenizerModel.USER_DEFINED;
        int bos = control.isEmpty() ? -1 : firstSpecial;
        return new ByteLevelBpeTokenizer(new TokenizerModel(TokenizerModel.Kind.BPE, tokens.toArray(new String[0]), new float[n], types, merges,
                bos, bos, -1, -1, bos >= 0, false, false, pre, Optional.empty()));
    }

    static final String[] MERGES = {"h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d"};

    static ByteLevelBpeTokenizer tokenizer() {
        return tokenizer("llama-bpe", MERGES, List.of(), List.of("<|begin_of_text|>"), List.of("<tool>"));
    }

    static String[] pieces(Tokenizer t, int[] ids) {
        return Arrays.stream(ids).mapToObj(t::piece).toArray(String[]::new);
    }

    @Test
    void mergesInRankOrderAndDecodesLosslessly() {
        ByteLevelBpeTokenizer t = tokenizer();
        int[] ids = t.encode("hello world", true);
        assertArrayEquals(new String[] {"<|begin_of_text|>", "hello", "Ġworld"}, pieces(t, ids));
        assertEquals("hello world", t.decode(ids));
        for (String s : new String[] {"Hello, wörld! 123456", "  spaces\n\nand\ttabs", "你好🦙", "I'm ok; don't", "a\u3000\u3000b\u00a0c"}) {
            assertEquals(s, t.decode(t.encode(s, false)), s);
        }
    }

    @Test
    void lowerRankWinsOverLeftmostAndTiesGoLeft() {
        // "ab" (rank 1) and "bc" (rank 0): in "abc" the pair b+c merges first although a+b is further left
        ByteLevelBpeTokenizer t = tokenizer("gpt-2", new String[] {"b c", "a b"}, List.of(), List.of(), List.of());
        assertArrayEquals(new String[] {"a", "bc"}, pieces(t, t.encode("abc", false)));
        // "abab": both a+b pairs have rank 1 and merge (leftmost first); then no "ab ab" merge exists
        assertArrayEquals(new String[] {"ab", "ab"}, pieces(t, t.encode("abab", false)));
    }

    @Test
    void llama3TakesAWordThatIsATokenWholeButGpt2MergesIt() {
        // the merges alone turn "abc" into "a"+"bc"; the vocabulary also has "abc"
        String[] merges = {"b c", "a b"};
        ByteLevelBpeTokenizer llama3 = tokenizer("llama-bpe", merges, List.of("abc"), List.of(), List.of());
        ByteLevelBpeTokenizer gpt2 = tokenizer("gpt-2", merges, List.of("abc"), List.of(), List.of());
        assertArrayEquals(new String[] {"abc"}, pieces(llama3, llama3.encode("abc", false)));
        assertArrayEquals(new String[] {"a", "bc"}, pieces(gpt2, gpt2.encode("abc", false)));
    }

    @Test
    void aCharacterStartsAsOneSymbolOnlyWhereNoNeighbourCouldMergeFirst() {
        // "é" is the bytes Ã ©, merged at rank 2. With "a" before it, "a é" (rank 0) could take the whole character
        // early, but in real BPE "b a" (rank 1) comes first and "ba é" is no merge: starting "é" as one symbol would
        // wrongly give "b" + "aé". After "b" nothing merges with it, so there it may start whole.
        ByteLevelBpeTokenizer t = tokenizer("gpt-2", new String[] {"a Ã©", "b a", "Ã ©"}, List.of(), List.of(), List.of());
        assertArrayEquals(new String[] {"ba", "Ã©"}, pieces(t, t.encode("baé", false)));
        assertArrayEquals(new String[] {"aÃ©"}, pieces(t, t.encode("aé", false)));
        assertArrayEquals(new String[] {"b", "Ã©"}, pieces(t, t.encode("bé", false)));
        assertArrayEquals(new String[] {"Ã©", "ba"}, pieces(t, t.encode("éba", false)));
    }

    @Test
    void aMergeResultThatIsNotATokenFallsBackToItsAsciiBytes() {
        // the merges make "xy" and then "xyz", neither of which is a token: llama.cpp emits the single-byte tokens instead
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(new String(Character.toChars(ByteLevelBpeTokenizer.byteChar(b))));
        tokens.add("xw");
        int n = tokens.size();
        int[] types = new int[n];
        Arrays.fill(types, TokenizerModel.NORMAL);
        ByteLevelBpeTokenizer t = new ByteLevelBpeTokenizer(new TokenizerModel(TokenizerModel.Kind.BPE, tokens.toArray(new String[0]), new float[n],
                types, new String[] {"x y", "xy z", "x w"}, -1, -1, -1, -1, false, false, false, "gpt-2", Optional.empty()));
        assertArrayEquals(new String[] {"x", "y"}, pieces(t, t.encode("xy", false)));
        assertArrayEquals(new String[] {"x", "y", "z"}, pieces(t, t.encode("xyz", false)));
        assertArrayEquals(new String[] {"xw"}, pieces(t, t.encode("xw", false)));
    }

    @Test
    void userDefinedTokensAreCutOutControlTokensOnlyWithParseSpecial() {
        ByteLevelBpeTokenizer t = tokenizer();
        int tool = Arrays.asList(t.model().tokens()).indexOf("<tool>");
        int bot = t.bosId();
        int[] ids = t.encode("hello<tool>world", false);
        assertEquals(tool, ids[1], Arrays.toString(pieces(t, ids)));
        int[] plain = t.encode("<|begin_of_text|>hello", false);
        assertFalse(Arrays.stream(plain).anyMatch(id -> id == bot));
        int[] parsed = t.encode("<|begin_of_text|>hello", false, true);
        assertArrayEquals(new String[] {"<|begin_of_text|>", "hello"}, pieces(t, parsed));
        assertEquals("hello", t.detokenize(parsed, true, false));
        assertEquals("<|begin_of_text|>hello", t.detokenize(parsed, false, true));
    }

    @Test
    void detokenizeCleansSpacesLikeLlamaCpp() {
        ByteLevelBpeTokenizer t = tokenizer();
        // clean_up_tokenization_spaces: " ." " ," " !" " ?" lose the space, " ' " → "'", " 's" " 'm" " 're" " 've" lose it
        String in = "Hi . yes , no ! why ? it ' s I 'm we 're they 've you 'll don 't";
        assertEquals("Hi. yes, no! why? it's I'm we're they've you 'll don 't", t.decode(t.encode(in, false)));
    }

    @Test
    void llama3ScannerAgreesWithTheRegex() {
        for (String s : PreTokenizerTexts.all()) {
            assertEquals(PreTokenizer.splitWithRegex(PreTokenizer.LLAMA3_REGEX, s), PreTokenizer.LLAMA3.words(s), "llama3: " + s);
            assertEquals(PreTokenizer.splitWithRegex(PreTokenizer.GPT2_REGEX, s), PreTokenizer.GPT2.words(s), "gpt2: " + s);
        }
    }

    @Test
    void llama3PreTokenizerSplitsDigitsInThreesAndKeepsContractions() {
        assertEquals(List.of("I", "'ll", " pay", " ", "123", "456", "7", " now", "\n\n", " It", "'S"),
                PreTokenizer.LLAMA3.words("I'll pay 1234567 now\n\n It'S"));
        // Unicode whitespace (U+3000) counts as whitespace, as in llama.cpp: two of them before a letter split 1 + 1
        assertEquals(List.of("x", "\u3000", "\u3000y"), PreTokenizer.LLAMA3.words("x\u3000\u3000y"));
        assertEquals(List.of("Hello", ",", " world", "!"), PreTokenizer.GPT2.words("Hello, world!"));
    }
}
