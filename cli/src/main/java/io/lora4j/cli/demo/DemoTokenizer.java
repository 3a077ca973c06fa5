package io.lora4j.cli.demo;

import io.lora4j.core.tokenizer.TokenizerModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f));
        List<Integer> types = new ArrayList<>(List.of(TokenizerModel.UNKNOWN, TokenizerModel.CONTROL, TokenizerModel.CONTROL));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            scores.add(0f);
            types.add(TokenizerModel.BYTE);
        }
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
        for (String c : chars) {
            tokens.add(c);
            scores.add(-1e6f); // single characters never compete as merges
            types.add(TokenizerModel.NORMAL);
        }
        Map<List<String>, Integer> words = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : wordCounts.entrySet()) {
            List<String> sym = new ArrayList<>();
            for (char c : e.getKey().toCharArray()) sym.add(String.valueOf(c));
            words.put(sym, e.getValue());
        }
        // greedy BPE: merge the most frequent adjacent pair (ties: the smaller pair), score -rank so the encoder replays
        // the merges in the order they were learned
        Set<String> have = new HashSet<>(tokens);
        int rank = 0;
        while (tokens.size() < vocabSize) {
            Map<String, Integer> pairs = new HashMap<>();
            for (Map.Entry<List<String>, Integer> e : words.entrySet()) {
                List<String> s = e.getKey();
                for (int i = 0; i + 1 < s.size(); i++) pairs.merge(s.get(i) + "\u0000" + s.get(i + 1), e.getValue(), Integer::sum);
            }
            String best = null;
            int bestCount = 0;
            for (Map.Entry<String, Integer> p : pairs.entrySet()) {
                if (p.getValue() > bestCount || (p.getValue() == bestCount && p.getKey().compareTo(best) < 0)) {
                    best = p.getKey();
                    bestCount = p.getValue();
                }
            }
            if (best == null) break; // every word is one token
            String[] lr = best.split("\u0000", -1);
            String merged = lr[0] + lr[1];
            if (have.add(merged)) {
                tokens.add(merged);
                scores.add((float) -rank);
                types.add(TokenizerModel.NORMAL);
            }
            rank++;
            Map<List<String>, Integer> next = new LinkedHashMap<>();
            for (Map.Entry<List<String>, Integer> e : words.entrySet()) {
                List<String> s = e.getKey(), out = new ArrayList<>();
                for (int i = 0; i < s.size(); i++) {
                    if (i + 1 < s.size() && s.get(i).equals(lr[0]) && s.get(i + 1).equals(lr[1])) {
                        out.add(merged);
                        i++;
                    } else {
                        out.add(s.get(i));
                    }
                }
                next.merge(out, e.getValue(), Integer::sum);
            }
            words = next;
        }
        float[] sc = new float[scores.size()];
        for (int i = 0; i < sc.length; i++) sc[i] = scores.get(i);
        return new TokenizerModel(TokenizerModel.Kind.SPM, tokens.toArray(new String[0]), sc, types.stream().mapToInt(Integer::intValue).toArray(),
                new String[0], 1, 2, 0, -1, true, false, true, "default", Optional.empty());
    }
}
