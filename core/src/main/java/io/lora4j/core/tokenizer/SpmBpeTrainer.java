package io.lora4j.core.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds a small SentencePiece-BPE vocabulary from text (for the embedded demo's own base model): the control tokens
 * &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, 256 byte-fallback tokens, every character of the corpus, then greedy BPE merges of the most
 * frequent adjacent pair within "▁"-prefixed words. A merge's piece gets score −rank, so the SentencePiece-BPE encoder
 * applies merges in the order they were learned.
 */
public final class SpmBpeTrainer {
    private SpmBpeTrainer() {}

    public static TokenizerModel train(List<String> corpus, int vocabSize) {
        // words with their counts, as symbol lists
        Map<String, Integer> wordCounts = new HashMap<>();
        Map<String, Integer> charCounts = new LinkedHashMap<>();
        for (String line : corpus) {
            for (String w : (" " + line).replace(' ', '\u2581').split("(?=\u2581)")) {
                if (w.isEmpty()) continue;
                wordCounts.merge(w, 1, Integer::sum);
                w.codePoints().forEach(cp -> charCounts.merge(new String(Character.toChars(cp)), 1, Integer::sum));
            }
        }
        List<String> chars = new ArrayList<>(charCounts.keySet());
        chars.sort((a, b) -> charCounts.get(b) - charCounts.get(a));
        Map<List<String>, Integer> words = new HashMap<>();
        for (Map.Entry<String, Integer> e : wordCounts.entrySet()) {
            List<String> sym = new ArrayList<>();
            e.getKey().codePoints().forEach(cp -> sym.add(new String(Character.toChars(cp))));
            words.merge(sym, e.getValue(), Integer::sum);
        }
        return build(chars, words, vocabSize, 2);
    }

    /**
     * The vocabulary from its parts: the control and byte tokens, {@code chars} in the given order (score −1e6: single
     * characters never compete as merges), then greedy merges of the most frequent adjacent pair of {@code words}
     * (symbol lists with counts; ties: the smaller pair), each seen at least {@code minPairCount} times, until
     * {@code vocabSize} tokens. Callers decide what a word and a character are.
     */
    public static TokenizerModel build(List<String> chars, Map<List<String>, Integer> words, int vocabSize, int minPairCount) {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f));
        List<Integer> types = new ArrayList<>(List.of(TokenizerModel.UNKNOWN, TokenizerModel.CONTROL, TokenizerModel.CONTROL));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            scores.add(0f);
            types.add(TokenizerModel.BYTE);
        }
        for (String c : chars) {
            tokens.add(c);
            scores.add(-1e6f);
            types.add(TokenizerModel.NORMAL);
        }
        java.util.Set<String> have = new java.util.HashSet<>(tokens);
        int rank = 0;
        while (tokens.size() < vocabSize) {
            Map<String, Integer> pairs = new HashMap<>();
            for (Map.Entry<List<String>, Integer> e : words.entrySet()) {
                List<String> s = e.getKey();
                for (int i = 0; i + 1 < s.size(); i++) pairs.merge(s.get(i) + "\u0000" + s.get(i + 1), e.getValue(), Integer::sum);
            }
            String best = null;
            int bestCount = minPairCount - 1;
            for (Map.Entry<String, Integer> p : pairs.entrySet()) {
                if (p.getValue() > bestCount || (p.getValue() == bestCount && best != null && p.getKey().compareTo(best) < 0)) {
                    best = p.getKey();
                    bestCount = p.getValue();
                }
            }
            if (best == null) break;
            String[] lr = best.split("\u0000", -1);
            String merged = lr[0] + lr[1];
            if (have.add(merged)) {
                tokens.add(merged);
                scores.add((float) -rank);
                types.add(TokenizerModel.NORMAL);
            }
            rank++;
            Map<List<String>, Integer> next = new HashMap<>();
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
