package io.lora4j.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The plain reference for {@link SentencePieceBpeTokenizer}'s fast path: llama.cpp's llm_tokenizer_spm step by step,
 * with strings, a boxed priority queue of (left, right, score, size) and the whole text as one merge problem.
 * Only for vocabularies without user-defined pieces.
 */
final class NaiveSpmEncoder {
    private final TokenizerModel m;
    private final Map<String, Integer> ids = new HashMap<>();

    NaiveSpmEncoder(TokenizerModel m) {
        this.m = m;
        for (int i = 0; i < m.size(); i++) ids.putIfAbsent(m.tokens()[i], i);
    }

    private record Bigram(int left, int right, float score, int size) {}

    List<Integer> encode(String raw) {
        List<Integer> out = new ArrayList<>();
        if (raw.isEmpty()) return out;
        String text = ((m.addSpacePrefix() ? " " : "") + raw).replace(" ", "\u2581");
        List<int[]> sym = new ArrayList<>(); // {start, len, prev, next}
        for (int i = 0; i < text.length(); ) {
            int len = Character.charCount(text.codePointAt(i));
            sym.add(new int[] {i, len, sym.size() - 1, i + len < text.length() ? sym.size() + 1 : -1});
            i += len;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.score() != b.score() ? Float.compare(b.score(), a.score()) : Integer.compare(a.left(), b.left()));
        for (int i = 1; i < sym.size(); i++) add(text, sym, i - 1, i, queue);
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            int[] l = sym.get(b.left()), r = sym.get(b.right());
            if (l[1] == 0 || r[1] == 0 || l[1] + r[1] != b.size()) continue;
            l[1] += r[1];
            r[1] = 0;
            l[3] = r[3];
            if (r[3] >= 0) sym.get(r[3])[2] = b.left();
            add(text, sym, l[2], b.left(), queue);
            add(text, sym, b.left(), l[3], queue);
        }
        for (int i = 0; i != -1; i = sym.get(i)[3]) {
            String s = text.substring(sym.get(i)[0], sym.get(i)[0] + sym.get(i)[1]);
            Integer id = ids.get(s);
            if (id != null) {
                out.add(id);
            } else {
                for (byte x : s.getBytes(StandardCharsets.UTF_8)) out.add(ids.getOrDefault(String.format("<0x%02X>", x & 0xFF), m.unkId()));
            }
        }
        return out;
    }

    private void add(String text, List<int[]> sym, int left, int right, PriorityQueue<Bigram> queue) {
        if (left < 0 || right < 0) return;
        int start = sym.get(left)[0], size = sym.get(left)[1] + sym.get(right)[1];
        Integer id = ids.get(text.substring(start, start + size));
        if (id != null) queue.add(new Bigram(left, right, m.scores()[id], size));
    }
}
