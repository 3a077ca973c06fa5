package io.lora4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Byte-level BPE on a hand-built vocabulary (the shared fixtures have no LLaMA-3 vocabulary): byte alphabet, merge
 * order by rank, the LLaMA-3 pre-tokenizer's splits, and lossless decode.
 */
class ByteLevelBpeTokenizerTest {

    static ByteLevelBpeTokenizer tokenizer() {
        List<String> tokens = new ArrayList<>();
        // GPT-2 byte alphabet: printable bytes map to themselves, the rest to U+0100 + n
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
            tokens.add(String.valueOf((char) (printable ? b : 256 + extra++)));
        }
        String[] merges = {"h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d"};
        for (String m : merges) tokens.add(m.replace(" ", ""));
        tokens.add("<|begin_of_text|>");
        int n = tokens.size();
        int[] types = new int[n];
        java.util.Arrays.fill(types, TokenizerModel.NORMAL);
        types[n - 1] = TokenizerModel.CONTROL;
        return new ByteLevelBpeTokenizer(new TokenizerModel(TokenizerModel.Kind.BPE, tokens.toArray(new String[0]), new float[n], types, merges,
                n - 1, n - 1, -1, -1, true, false, false, "llama-bpe", Optional.empty()));
    }

    @Test
    void mergesInRankOrderAndDecodesLosslessly() {
        ByteLevelBpeTokenizer t = tokenizer();
        int[] ids = t.encode("hello world", true);
        assertEquals(3, ids.length, java.util.Arrays.toString(ids));
        assertEquals("<|begin_of_text|>", t.piece(ids[0]));
        assertEquals("hello", t.piece(ids[1]));
        assertEquals("Ġworld", t.piece(ids[2]));
        assertEquals("hello world", t.decode(ids));
        for (String s : new String[] {"Hello, wörld! 123456", "  spaces\n\nand\ttabs", "你好🦙", "I'm ok; don't"}) assertEquals(s, t.decode(t.encode(s, false)));
    }

    @Test
    void llama3PreTokenizerSplitsDigitsInThreesAndKeepsContractions() {
        var m = ByteLevelBpeTokenizer.LLAMA3.matcher("I'll pay 1234567 now");
        List<String> parts = new ArrayList<>();
        while (m.find()) parts.add(m.group());
        assertEquals(List.of("I", "'ll", " pay", " ", "123", "456", "7", " now"), parts);
    }
}
