package io.lora4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class SpmBpeTrainerTest {
    @Test
    void learnedVocabularyCompressesItsCorpusAndRoundTrips() {
        List<String> corpus = List.of("the cat sat on the mat", "the dog sat on the log", "小猫坐在垫子上", "the cat and the dog");
        TokenizerModel m = SpmBpeTrainer.train(corpus, 320);
        assertTrue(m.size() > 259 && m.size() <= 320);
        Tokenizer t = Tokenizers.of(m);
        for (String s : corpus) {
            int[] ids = t.encode(s, true);
            assertEquals(s, t.decode(ids));
            if (s.startsWith("the")) assertTrue(ids.length < s.length() * 0.6, "merges shorten '" + s + "' to " + ids.length + " tokens");
            else assertEquals(1 + 1 + s.length(), ids.length, "a sentence seen once: BOS, ▁ and one piece per character");
        }
        assertEquals("emoji 🦙 unseen", t.decode(t.encode("emoji 🦙 unseen", false)), "unseen characters fall back to bytes");
        assertTrue(java.util.Arrays.asList(m.tokens()).contains("\u2581the"));
    }
}
