package io.lora4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.testing.SharedData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The Chinese-LLaMA use case: the LLaMA vocabulary extended with Chinese pieces (49953 tokens) must load and work. */
class ChineseLlamaVocabSharedDataTest {

    /** Merges the vocabularies as Chinese-LLaMA-Alpaca's merge_tokenizers.py does: new pieces appended with score 0. */
    static TokenizerModel merged() throws Exception {
        TokenizerModel llama = Tokenizers.fromSentencePiece(SharedData.file("tokenizers/llama2_tokenizer.model"));
        TokenizerModel chinese = Tokenizers.fromSentencePiece(SharedData.file("tokenizers/chinese_llama_alpaca_chinese_sp.model"));
        List<String> tokens = new ArrayList<>(Arrays.asList(llama.tokens()));
        Set<String> seen = new HashSet<>(tokens);
        List<Float> scores = new ArrayList<>();
        for (float s : llama.scores()) scores.add(s);
        List<Integer> types = new ArrayList<>();
        for (int t : llama.tokenTypes()) types.add(t);
        for (int i = 0; i < chinese.size(); i++) {
            String p = chinese.tokens()[i];
            if (chinese.tokenTypes()[i] != TokenizerModel.NORMAL || !seen.add(p)) continue;
            tokens.add(p);
            scores.add(0f);
            types.add(TokenizerModel.NORMAL);
        }
        float[] sc = new float[scores.size()];
        for (int i = 0; i < sc.length; i++) sc[i] = scores.get(i);
        return new TokenizerModel(TokenizerModel.Kind.SPM, tokens.toArray(new String[0]), sc, types.stream().mapToInt(Integer::intValue).toArray(),
                new String[0], 1, 2, 0, -1, true, false, true, "default", Optional.empty());
    }

    @Test
    void mergedVocabularyHas49953TokensAndUsesTheChinesePieces() throws Exception {
        TokenizerModel m = merged();
        assertEquals(49953, m.size());
        Tokenizer zh = Tokenizers.of(m);
        Tokenizer base = Tokenizers.load(SharedData.file("tokenizers/llama2_tokenizer.model"));
        String text = "我们在北京大学学习人工智能和机器学习，今天天气很好。";
        int[] ids = zh.encode(text, true);
        assertTrue(Arrays.stream(ids).anyMatch(id -> id >= 32000), "Chinese pieces are used: " + Arrays.toString(ids));
        assertTrue(ids.length < base.encode(text, true).length / 2, "the extended vocabulary encodes Chinese much more compactly");
        assertEquals(text, zh.decode(ids));
        assertNotEquals(base.fingerprint(), zh.fingerprint());
        assertArrayEquals(base.encode("Hello world", true), zh.encode("Hello world", true), "English is unchanged");
    }
}
