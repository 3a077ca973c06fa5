package io.lora4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.testing.SharedData;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a fingerprint covers (see {@link Fingerprint}): every field that decides the ids changes it; scores do not. */
class FingerprintSharedDataTest {

    static TokenizerModel copy(TokenizerModel m, String[] tokens, float[] scores, int[] types, int bos, boolean addSpace) {
        return new TokenizerModel(m.kind(), tokens, scores, types, m.merges(), bos, m.eosId(), m.unkId(), m.padId(), m.addBos(), m.addEos(), addSpace,
                m.preTokenizer(), Optional.of("a chat template"));
    }

    @Test
    void everyFieldThatDecidesTheIdsChangesIt() throws Exception {
        TokenizerModel m = Tokenizers.fromSentencePiece(SharedData.file("tokenizers/llama2_tokenizer.model"));
        String fp = Fingerprint.of(m);
        assertEquals(64, fp.length());
        assertEquals(fp, Fingerprint.of(copy(m, m.tokens().clone(), m.scores().clone(), m.tokenTypes().clone(), m.bosId(), m.addSpacePrefix())),
                "a copy (with a chat template) has the same fingerprint");
        String[] tokens = m.tokens().clone();
        tokens[1000] = tokens[1000] + "x";
        assertNotEquals(fp, Fingerprint.of(copy(m, tokens, m.scores(), m.tokenTypes(), m.bosId(), m.addSpacePrefix())), "a piece");
        int[] types = m.tokenTypes().clone();
        types[1000] = TokenizerModel.USER_DEFINED;
        assertNotEquals(fp, Fingerprint.of(copy(m, m.tokens(), m.scores(), types, m.bosId(), m.addSpacePrefix())), "a token type");
        assertNotEquals(fp, Fingerprint.of(copy(m, m.tokens(), m.scores(), m.tokenTypes(), 2, m.addSpacePrefix())), "the BOS id");
        assertNotEquals(fp, Fingerprint.of(copy(m, m.tokens(), m.scores(), m.tokenTypes(), m.bosId(), false)), "add_space_prefix");
        float[] scores = m.scores().clone();
        for (int i = 0; i < scores.length; i++) scores[i] = scores[i] * 2 - 7;
        assertEquals(fp, Fingerprint.of(copy(m, m.tokens(), scores, m.tokenTypes(), m.bosId(), m.addSpacePrefix())), "scores are not part of it");
    }

    @Test
    void byteLevelPreTokenizerIsRecognisedFromTokenizerJson() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String llama3 = "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":"
                + "\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}{1,3}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"},"
                + "\"behavior\":\"Isolated\",\"invert\":false},{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":false}]}";
        assertEquals("llama-bpe", Tokenizers.byteLevelPreTokenizer(json.readTree(llama3)));
        assertEquals("gpt-2", Tokenizers.byteLevelPreTokenizer(json.readTree("{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true}")));
        assertEquals("default", Tokenizers.byteLevelPreTokenizer(json.readTree("null")));
    }
}
