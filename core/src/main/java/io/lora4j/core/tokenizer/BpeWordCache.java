package io.lora4j.core.tokenizer;

import java.util.Arrays;

/**
 * One thread's memory of recently encoded words: the UTF-8 bytes of a pre-token → its token ids. Two-way set
 * associative on the word's 64-bit hash, so it stays bounded and costs one probe; a hit is confirmed by comparing the
 * bytes, so a hash collision cannot change the result. English text repeats most of its words (the Alpaca file: about
 * three quarters of its bytes are in words seen among the last few thousand); Chinese text mostly does not.
 */
final class BpeWordCache {
    /** Longer words are not kept: they rarely repeat and would make the memory depend on the text. */
    static final int MAX_BYTES = 48;
    private static final int SETS = 2048;
    private final long[] hashes = new long[2 * SETS];
    private final byte[][] words = new byte[2 * SETS][];
    private final int[][] ids = new int[2 * SETS][];
    /** Per set, the way written last, so a new word replaces the other one. */
    private final boolean[] recent = new boolean[SETS];

    private static int set(long hash) {
        return (int) (hash ^ (hash >>> 32)) & (SETS - 1);
    }

    /** The ids of word[0, n), or null when it is not kept. */
    int[] get(long hash, byte[] word, int n) {
        int s = set(hash), w = 2 * s;
        for (int i = w; i < w + 2; i++) {
            byte[] k = words[i];
            if (k != null && hashes[i] == hash && k.length == n && Arrays.equals(k, 0, n, word, 0, n)) {
                recent[s] = i == w + 1;
                return ids[i];
            }
        }
        return null;
    }

    void put(long hash, byte[] word, int n, int[] tokenIds) {
        if (n > MAX_BYTES) return;
        int s = set(hash);
        int i = 2 * s + (recent[s] ? 0 : 1);
        recent[s] = i == 2 * s + 1;
        hashes[i] = hash;
        words[i] = Arrays.copyOf(word, n);
        ids[i] = tokenIds;
    }
}
