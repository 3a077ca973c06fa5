package io.lora4j.core.tokenizer;

import java.util.Arrays;

/** A growable int array: token ids and offsets on the hot path without boxing. */
final class IntList {
    private int[] a;
    private int n;

    IntList(int capacity) {
        a = new int[Math.max(capacity, 4)];
    }

    void add(int v) {
        if (n == a.length) a = Arrays.copyOf(a, n * 2);
        a[n++] = v;
    }

    void addAll(int[] values) {
        if (n + values.length > a.length) a = Arrays.copyOf(a, Math.max(n * 2, n + values.length));
        System.arraycopy(values, 0, a, n, values.length);
        n += values.length;
    }

    int get(int i) {
        return a[i];
    }

    int size() {
        return n;
    }

    void clear() {
        n = 0;
    }

    int[] toArray() {
        return Arrays.copyOf(a, n);
    }

    int[] copyOfRange(int from, int to) {
        return Arrays.copyOfRange(a, from, to);
    }
}
