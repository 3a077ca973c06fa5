package io.lora4j.core.tokenizer;

import java.util.Arrays;

/**
 * The merge queue: a binary max-heap of longs, each packing a candidate's priority (high 32 bits) and its left symbol
 * (low 32 bits, inverted so that on equal priority the leftmost pair comes first, as llama.cpp's comparators order it).
 *
 * <p>Entries do not store the right symbol. When an entry comes out, the caller checks that the pair now starting at
 * that left symbol still forms a piece of exactly that priority; if it does, that pair is itself queued under the same
 * key, so taking it now is the same choice llama.cpp's queue makes (the largest key among the pairs that are current).
 */
final class MergeHeap {
    private long[] heap;
    private int n;

    MergeHeap(int capacity) {
        heap = new long[Math.max(capacity, 4)];
    }

    /** A float as an int with the same order (for scores; higher is better). */
    static int sortable(float f) {
        int bits = Float.floatToIntBits(f);
        return bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
    }

    static int left(long entry) {
        return Integer.MAX_VALUE - (int) entry;
    }

    static int score(long entry) {
        return (int) (entry >> 32);
    }

    void clear() {
        n = 0;
    }

    boolean isEmpty() {
        return n == 0;
    }

    /** Queues a candidate: higher {@code priority} first, then smaller {@code left}. */
    void push(int priority, int left) {
        long e = ((long) priority << 32) | (Integer.MAX_VALUE - left);
        if (n == heap.length) heap = Arrays.copyOf(heap, n * 2);
        int i = n++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] >= e) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = e;
    }

    long pop() {
        long top = heap[0];
        long e = heap[--n];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && heap[c + 1] > heap[c]) c++;
            if (heap[c] <= e) break;
            heap[i] = heap[c];
            i = c;
        }
        heap[i] = e;
        return top;
    }
}
