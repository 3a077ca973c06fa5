package io.lora4j.core.tokenizer;

/**
 * Piece text → id lookup over a slice of a char array without creating a String per lookup (the hot path of
 * SentencePiece-BPE asks this for every candidate pair). Open addressing with linear probing.
 */
final class PieceTable {
    private final String[] keys;
    private final int[] values;
    private final int mask;

    PieceTable(String[] pieces) {
        int cap = Integer.highestOneBit(Math.max(4, pieces.length * 2)) << 1;
        keys = new String[cap];
        values = new int[cap];
        mask = cap - 1;
        for (int id = 0; id < pieces.length; id++) {
            String p = pieces[id];
            int h = hash(p.toCharArray(), 0, p.length()) & mask;
            while (keys[h] != null && !keys[h].equals(p)) h = (h + 1) & mask;
            if (keys[h] == null) { // the first id of a duplicated piece wins, like llama.cpp's token_to_id
                keys[h] = p;
                values[h] = id;
            }
        }
    }

    private static int hash(char[] a, int from, int len) {
        int h = 0;
        for (int i = from; i < from + len; i++) h = 31 * h + a[i];
        return h ^ (h >>> 16);
    }

    /** The id of the piece a[from, from+len), or -1. */
    int get(char[] a, int from, int len) {
        int h = hash(a, from, len) & mask;
        while (true) {
            String k = keys[h];
            if (k == null) return -1;
            if (k.length() == len && regionEquals(k, a, from)) return values[h];
            h = (h + 1) & mask;
        }
    }

    private static boolean regionEquals(String k, char[] a, int from) {
        for (int i = 0; i < k.length(); i++) if (k.charAt(i) != a[from + i]) return false;
        return true;
    }
}
