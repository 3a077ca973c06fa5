package io.lora4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.testing.SharedData;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** User-defined pieces added to the LLaMA vocabulary are cut out of the text the way llama.cpp's partition does it. */
class UserDefinedPiecesSharedDataTest {

    static Tokenizer withUserDefined(TokenizerModel base, String... added) {
        int n = base.size() + added.length;
        String[] tokens = Arrays.copyOf(base.tokens(), n);
        float[] scores = Arrays.copyOf(base.scores(), n);
        int[] types = Arrays.copyOf(base.tokenTypes(), n);
        for (int i = 0; i < added.length; i++) {
            tokens[base.size() + i] = added[i];
            scores[base.size() + i] = -1000f;
            types[base.size() + i] = TokenizerModel.USER_DEFINED;
        }
        return Tokenizers.of(new TokenizerModel(TokenizerModel.Kind.SPM, tokens, scores, types, new String[0], base.bosId(), base.eosId(), base.unkId(),
                base.padId(), base.addBos(), base.addEos(), base.addSpacePrefix(), base.preTokenizer(), Optional.empty()));
    }

    static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    @Test
    void longestPieceIsCutFirstEvenWhenAShorterOneStartsEarlier() throws Exception {
        TokenizerModel base = Tokenizers.fromSentencePiece(SharedData.file("tokenizers/llama2_tokenizer.model"));
        Tokenizer llama = Tokenizers.of(base);
        Tokenizer tok = withUserDefined(base, "xa", "abc"); // ids 32000, 32001
        // llama.cpp takes "abc" (longer) through the whole text first; "xa" then no longer occurs
        int[] expected = concat(llama.encode("x", false), new int[] {32001}, llama.encode("d", false));
        assertArrayEquals(expected, tok.encode("xabcd", false));
        // both occur separately: each becomes its token
        assertArrayEquals(new int[] {32000, 32001}, tok.encode("xaabc", false));
        // the text after a user-defined piece gets the space prefix again, so " world" becomes "▁▁world" (llama.cpp does this)
        int[] ids = tok.encode("Hello xa world", false);
        assertArrayEquals(concat(llama.encode("Hello ", false), new int[] {32000}, llama.encode(" world", false)), ids);
        // user-defined pieces come out as their text; the doubled space stays
        assertEquals("Hello xa  world", tok.decode(ids));
    }
}
