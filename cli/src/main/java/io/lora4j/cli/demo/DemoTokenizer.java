package io.lora4j.cli.demo;

import io.lora4j.core.tokenizer.SpmBpeTrainer;
import io.lora4j.core.tokenizer.TokenizerModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's SentencePiece-BPE vocabulary. Unlike a LLaMA vocabulary, merges are learned only inside runs of Latin
 * letters: "▁" (the space), digits, punctuation and every Chinese character stay single tokens. A word is therefore
 * the same token wherever it stands — after a space in a sentence, after the newline that opens an answer or an
 * input — so what the base model learned about "short" in prose is what the answer "short" is made of, and copying
 * a word is copying a token. (With "▁short" and "short" as different tokens, the second is never seen in
 * pretraining and the fine-tuned model answered with wrong words.) Numbers are digit by digit.
 */
final class DemoTokenizer {
    private static final char SPACE = '\u2581';

    private DemoTokenizer() {}

    static TokenizerModel train(List<String> text, int vocabSize) {
        Map<String, Integer> charCounts = new LinkedHashMap<>();
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        charCounts.put(String.valueOf(SPACE), 1);
        for (String line : text) {
            line.replace(' ', SPACE).codePoints().forEach(cp -> charCounts.merge(new String(Character.toChars(cp)), 1, Integer::sum));
            for (String w : line.split("[^A-Za-z]+")) {
                if (w.length() > 1) wordCounts.merge(w, 1, Integer::sum);
            }
        }
        List<String> chars = new ArrayList<>(charCounts.keySet());
        chars.sort((a, b) -> charCounts.get(b) - charCounts.get(a) != 0 ? charCounts.get(b) - charCounts.get(a) : a.compareTo(b));
        Map<List<String>, Integer> words = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : wordCounts.entrySet()) {
            List<String> sym = new ArrayList<>();
            for (char c : e.getKey().toCharArray()) sym.add(String.valueOf(c));
            words.put(sym, e.getValue());
        }
        // merges only inside letter runs: every pair seen once is enough for this small corpus
        return SpmBpeTrainer.build(chars, words, vocabSize, 1);
    }
}
