package io.lora4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.testing.SharedData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The fast SentencePiece-BPE path (int-pair merge table, packed heap, per-word merging) gives exactly what the plain
 * llama.cpp-style reference gives, on real instruction data in English and Chinese and on awkward whitespace, for
 * the LLaMA vocabulary and the extended Chinese-LLaMA one (where 20k pieces share the score 0, so ties matter).
 */
class SpmFastPathSharedDataTest {

    static List<String> texts() throws Exception {
        List<String> texts = new ArrayList<>(List.of("  a   b\n\n\t", "▁▁x", "x▁ ▁y", "   ", "\t \t", "🦙🦙🦙 emoji", "a\u0000b", "ǅ ǈ ǋ"));
        for (String f : new String[] {"instructions/alpaca_cleaned_en_1000.json", "instructions/alpaca_zh_1000.json"}) {
            int n = 0;
            for (JsonNode r : new ObjectMapper().readTree(SharedData.file(f).toFile())) {
                if (n++ == 150) break;
                for (String field : new String[] {"instruction", "input", "output"}) texts.add(r.path(field).asText(""));
            }
        }
        return texts;
    }

    static void assertSameAsReference(TokenizerModel m) throws Exception {
        Tokenizer fast = Tokenizers.of(m);
        NaiveSpmEncoder naive = new NaiveSpmEncoder(m);
        for (String s : texts()) {
            List<Integer> expected = naive.encode(s);
            List<Integer> actual = Arrays.stream(fast.encode(s, false)).boxed().collect(Collectors.toList());
            assertEquals(expected, actual, s);
        }
    }

    @Test
    void llamaVocabulary() throws Exception {
        assertSameAsReference(Tokenizers.fromSentencePiece(SharedData.file("tokenizers/llama2_tokenizer.model")));
    }

    @Test
    void chineseLlamaVocabulary() throws Exception {
        assertSameAsReference(ChineseLlamaVocabSharedDataTest.merged());
    }

    @Test
    void vocabularyWhereWordsAreNotIndependent() throws Exception {
        // a piece with "▁" after another character switches per-word merging off; the whole text is one problem again
        TokenizerModel llama = Tokenizers.fromSentencePiece(SharedData.file("tokenizers/llama2_tokenizer.model"));
        String[] tokens = llama.tokens().clone();
        float[] scores = llama.scores().clone();
        tokens[29999] = "e▁t"; // replaces a rare piece, with the best score
        scores[29999] = 0f;
        TokenizerModel m = new TokenizerModel(llama.kind(), tokens, scores, llama.tokenTypes(), llama.merges(), llama.bosId(), llama.eosId(),
                llama.unkId(), llama.padId(), llama.addBos(), llama.addEos(), llama.addSpacePrefix(), llama.preTokenizer(), llama.chatTemplate());
        assertSameAsReference(m);
        assertTrue(Arrays.stream(Tokenizers.of(m).encode("the tree", false)).anyMatch(id -> id == 29999), "the cross-word piece is used");
    }
}
