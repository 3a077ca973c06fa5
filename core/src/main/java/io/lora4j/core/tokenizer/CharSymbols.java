package io.lora4j.core.tokenizer;

import java.util.function.LongBinaryOperator;

/**
 * Which characters a byte-level BPE word may start from as one symbol instead of their UTF-8 bytes, with the same
 * result: for each code point U+0080…U+FFFF whose bytes merge on their own into one symbol T at merge ranks up to R,
 * the bytes that may stand right before it and right after it for that to be certain.
 *
 * <p>Why it is exact: in the word, the character's own merges are always available until it is one symbol, each with
 * a rank of at most R. A merge from outside can touch a partial symbol s of the character only as (x, s) with s its
 * left-hand symbol and x the symbol before it, which ends with the byte before the character (or mirrored on the
 * right). If every such merge, and every merge taking T itself, ranks above R, none of them can come before the
 * character is whole, and starting from T leaves every other merge's turn unchanged. The tables keep, per character,
 * the previous bytes (0x00–0xBF: ASCII or a continuation byte) and next bytes (ASCII or a lead byte) for which this holds.
 */
final class CharSymbols {
    private final int[] slot = new int[0x10000];
    private int[] symbols = new int[1024];
    /** Per slot: 3 longs of allowed previous bytes (bit b for 0x00–0xBF), 3 of allowed next bytes (0x00–0x7F, 0xC0–0xFF). */
    private long[] masks = new long[6 * 1024];
    private int used;

    /**
     * @param pair        (left, right) → the packed merge (rank << 32 | result), or -1
     * @param lefts       for each merge in rank order: its left symbol, with {@code rights} and {@code ranks}
     * @param firstByte   per symbol: the first byte it stands for (-1: none), {@code lastByte} the last
     */
    CharSymbols(int symbolCount, int[] byteSymbol, LongBinaryOperator pair, IntList lefts, IntList rights, IntList ranks, int[] firstByte, int[] lastByte) {
        java.util.Arrays.fill(slot, -1);
        Csr asRight = new Csr(symbolCount, rights, lefts, ranks, lastByte), asLeft = new Csr(symbolCount, lefts, rights, ranks, firstByte);
        byte[] b = new byte[4];
        int[] sym = new int[3];
        int[] exposedLeft = new int[4], exposedRight = new int[4];
        for (int c = 0x80; c < 0x10000; c++) {
            int n = utf8Length(c);
            encode(c, b);
            for (int i = 0; i < n; i++) sym[i] = byteSymbol[b[i] & 0xFF];
            int highest = -1, nl = 0, nr = 0;
            while (n > 1) {
                int best = -1, bestRank = Integer.MAX_VALUE;
                for (int i = 0; i + 1 < n; i++) {
                    long v = pair.applyAsLong(sym[i], sym[i + 1]);
                    if (v >= 0 && (int) (v >>> 32) < bestRank) {
                        bestRank = (int) (v >>> 32);
                        best = i;
                    }
                }
                if (best < 0) break;
                exposedLeft[nl++] = sym[0]; // partial symbols at the edges while a merge of the character is pending
                exposedRight[nr++] = sym[n - 1];
                highest = Math.max(highest, bestRank);
                sym[best] = (int) pair.applyAsLong(sym[best], sym[best + 1]);
                for (int i = best + 1; i + 1 < n; i++) sym[i] = sym[i + 1];
                n--;
            }
            if (n != 1 || highest < 0) continue;
            exposedLeft[nl++] = sym[0];
            exposedRight[nr++] = sym[0];
            long[] m = {-1L, -1L, -1L, -1L, -1L, -1L};
            for (int i = 0; i < nl; i++) asRight.forbid(exposedLeft[i], highest, m, 0, false);
            for (int i = 0; i < nr; i++) asLeft.forbid(exposedRight[i], highest, m, 3, true);
            if ((m[0] | m[1] | m[2]) == 0 && (m[3] | m[4] | m[5]) == 0) continue;
            if (used == symbols.length) {
                symbols = java.util.Arrays.copyOf(symbols, 2 * used);
                masks = java.util.Arrays.copyOf(masks, 12 * used);
            }
            slot[c] = used;
            symbols[used] = sym[0];
            System.arraycopy(m, 0, masks, 6 * used, 6);
            used++;
        }
    }

    /** The symbol to start character c from between these bytes (-1: word edge), or -1 to start from its bytes. */
    int symbol(int c, int prevByte, int nextByte) {
        if (c >= 0x10000) return -1;
        int k = slot[c];
        if (k < 0) return -1;
        if (prevByte >= 0 && (prevByte >= 0xC0 || (masks[6 * k + (prevByte >> 6)] & (1L << prevByte)) == 0)) return -1;
        if (nextByte >= 0) {
            if (nextByte >= 0x80 && nextByte < 0xC0) return -1;
            int j = nextByte < 0x80 ? nextByte : nextByte - 0x40;
            if ((masks[6 * k + 3 + (j >> 6)] & (1L << j)) == 0) return -1;
        }
        return symbols[k];
    }

    /** How many characters have a symbol for some neighbours (for tests and the benchmark's description). */
    int count() {
        return used;
    }

    static int utf8Length(int c) {
        return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }

    private static void encode(int c, byte[] b) {
        if (c < 0x800) {
            b[0] = (byte) (0xC0 | (c >> 6));
            b[1] = (byte) (0x80 | (c & 0x3F));
        } else {
            b[0] = (byte) (0xE0 | (c >> 12));
            b[1] = (byte) (0x80 | ((c >> 6) & 0x3F));
            b[2] = (byte) (0x80 | (c & 0x3F));
        }
    }

    /** The merges grouped by one of their parts, each group in rank order, with the neighbour byte of the other part. */
    private static final class Csr {
        final int[] start, rank, neighbourByte;

        Csr(int symbolCount, IntList key, IntList other, IntList ranks, int[] otherByte) {
            start = new int[symbolCount + 1];
            for (int i = 0; i < key.size(); i++) start[key.get(i) + 1]++;
            for (int s = 0; s < symbolCount; s++) start[s + 1] += start[s];
            int[] fill = java.util.Arrays.copyOf(start, symbolCount);
            rank = new int[key.size()];
            neighbourByte = new int[key.size()];
            for (int i = 0; i < key.size(); i++) { // merges come in rank order, so each group is sorted by rank
                int at = fill[key.get(i)]++;
                rank[at] = ranks.get(i);
                neighbourByte[at] = otherByte[other.get(i)];
            }
        }

        /** Clears, in m[off..off+2], the neighbour bytes of every merge of s ranked at most {@code highest}. */
        void forbid(int s, int highest, long[] m, int off, boolean nextSide) {
            for (int i = start[s]; i < start[s + 1] && rank[i] <= highest; i++) {
                int b = neighbourByte[i];
                if (b < 0) continue;
                int j = nextSide ? (b < 0x80 ? b : b >= 0xC0 ? b - 0x40 : -1) : (b < 0xC0 ? b : -1);
                if (j >= 0) m[off + (j >> 6)] &= ~(1L << j);
            }
        }
    }
}
