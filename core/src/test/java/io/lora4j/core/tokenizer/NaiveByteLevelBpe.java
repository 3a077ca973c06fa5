package io.lora4j.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A deliberately plain byte-level BPE, the reference for the fast one: the pre-tokenizer's regex, tokens as strings in
 * GPT-2's byte alphabet, and a rescan of every adjacent pair for the lowest merge rank (leftmost on ties) after each
 * merge. Llama-3 takes a word that is a token whole; a final symbol that is not a token gives the tokens of its ASCII
 * characters (llama.cpp's fallback). No special tokens: the texts it is given have none.
 */
final class NaiveByteLevelBpe {
    private final Pattern regex;
    private final boolean ignoreMerges;
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<String, Integer> ranks = new HashMap<>();
    private final Map<String, List<Integer>> memo = new HashMap<>();

    NaiveByteLevelBpe(TokenizerModel m, Pattern regex, boolean ignoreMerges) {
        this.regex = regex;
        this.ignoreMerges = ignoreMerges;
        for (int i = 0; i < m.size(); i++) ids.putIfAbsent(m.tokens()[i], i);
        for (int r = 0; r < m.merges().length; r++) ranks.putIfAbsent(m.merges()[r], r);
    }

    List<Integer> encode(String text) {
        List<Integer> out = new ArrayList<>();
        for (String word : PreTokenizer.splitWithRegex(regex, text)) out.addAll(memo.computeIfAbsent(word, this::word));
        return out;
    }

    private List<Integer> word(String word) {
        List<String> sym = new ArrayList<>();
        for (byte b : word.getBytes(StandardCharsets.UTF_8)) sym.add(new String(Character.toChars(ByteLevelBpeTokenizer.byteChar(b & 0xFF))));
        String whole = String.join("", sym);
        if (ignoreMerges && ids.containsKey(whole)) return List.of(ids.get(whole));
        while (true) {
            int best = -1, bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < sym.size(); i++) {
                Integer r = ranks.get(sym.get(i) + " " + sym.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) break;
            sym.set(best, sym.get(best) + sym.remove(best + 1));
        }
        List<Integer> out = new ArrayList<>();
        for (String s : sym) {
            Integer id = ids.get(s);
            if (id != null) {
                out.add(id);
                continue;
            }
            for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                Integer ascii = b >= 0 ? ids.get(String.valueOf((char) b)) : null;
                if (ascii != null) out.add(ascii);
            }
        }
        return out;
    }
}
