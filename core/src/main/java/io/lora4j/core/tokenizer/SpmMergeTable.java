package io.lora4j.core.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * The merges a SentencePiece vocabulary allows, as a primitive (left symbol, right symbol) → piece table.
 *
 * <p>llama.cpp merges two adjacent symbols when their concatenated text is a piece. A symbol is always either one
 * code point or a piece, so every possible merge is a split of some piece into two such parts; listing those splits
 * once at load time turns each candidate lookup into an int-pair hash probe instead of hashing text. Code points that
 * occur inside pieces without being pieces themselves get ids from {@code size()} upwards so they can still merge.
 */
final class SpmMergeTable {
    private static final long EMPTY = -1L;
    private final int vocabSize;
    private final int[] bmpIds = new int[0x10000];
    private final Map<Integer, Integer> otherIds = new HashMap<>();
    private final long[] keys;
    private final int[] merged;
    private final int mask;

    SpmMergeTable(String[] pieces) {
        this.vocabSize = pieces.length;
        java.util.Arrays.fill(bmpIds, -1);
        Map<String, Integer> ids = new HashMap<>(pieces.length * 2);
        for (int id = 0; id < pieces.length; id++) {
            String p = pieces[id];
            if (ids.putIfAbsent(p, id) == null && !p.isEmpty() && p.codePointCount(0, p.length()) == 1) setCodePointId(p.codePointAt(0), id);
        }
        int[] nextPseudo = {pieces.length};
        int splits = 0;
        for (String p : pieces) splits += Math.max(0, p.length() - 1);
        int cap = Integer.highestOneBit(Math.max(16, splits * 2)) << 1;
        keys = new long[cap];
        merged = new int[cap];
        mask = cap - 1;
        java.util.Arrays.fill(keys, EMPTY);
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
            String p = e.getKey();
            for (int j = p.isEmpty() ? 0 : Character.charCount(p.codePointAt(0)); j > 0 && j < p.length(); j += Character.charCount(p.codePointAt(j))) {
                int a = symbolOf(p.substring(0, j), ids, nextPseudo);
                int b = symbolOf(p.substring(j), ids, nextPseudo);
                if (a >= 0 && b >= 0) put(a, b, e.getValue());
            }
        }
    }

    private int symbolOf(String s, Map<String, Integer> ids, int[] nextPseudo) {
        if (s.codePointCount(0, s.length()) == 1) {
            int cp = s.codePointAt(0);
            int id = codePointId(cp);
            if (id < 0) {
                id = nextPseudo[0]++;
                setCodePointId(cp, id);
            }
            return id;
        }
        Integer id = ids.get(s); // a longer part can only be a symbol if it is a piece
        return id != null ? id : -1;
    }

    private void setCodePointId(int cp, int id) {
        if (cp < 0x10000) bmpIds[cp] = id;
        else otherIds.put(cp, id);
    }

    /** The symbol id of one code point: its piece, a pseudo id (≥ vocabulary size) if it occurs inside pieces, else -1. */
    int codePointId(int cp) {
        if (cp < 0x10000) return bmpIds[cp];
        Integer id = otherIds.get(cp);
        return id != null ? id : -1;
    }

    boolean isPiece(int symbolId) {
        return symbolId >= 0 && symbolId < vocabSize;
    }

    private static int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29));
    }

    private void put(int a, int b, int piece) {
        long key = ((long) a << 32) | (b & 0xFFFFFFFFL);
        int i = slot(key) & mask;
        while (keys[i] != EMPTY) {
            if (keys[i] == key) return;
            i = (i + 1) & mask;
        }
        keys[i] = key;
        merged[i] = piece;
    }

    /** The piece that symbols a and b form together, or -1. */
    int merge(int a, int b) {
        if (a < 0 || b < 0) return -1;
        long key = ((long) a << 32) | (b & 0xFFFFFFFFL);
        int i = slot(key) & mask;
        while (true) {
            long k = keys[i];
            if (k == key) return merged[i];
            if (k == EMPTY) return -1;
            i = (i + 1) & mask;
        }
    }
}
