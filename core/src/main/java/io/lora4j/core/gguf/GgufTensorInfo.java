package io.lora4j.core.gguf;

import io.lora4j.core.ggml.GgmlType;
import java.util.Arrays;

/**
 * One tensor-info record. {@code ne} is ggml's dimension order (ne[0] is the contiguous row; the PyTorch shape is the
 * reverse). {@code offset} is relative to the start of the data section.
 */
public record GgufTensorInfo(String name, long[] ne, GgmlType type, long offset) {

    public long elementCount() {
        long n = 1;
        for (long d : ne) n = Math.multiplyExact(n, d);
        return n;
    }

    public long byteSize() {
        return Math.multiplyExact(type.rowBytes(ne[0]), elementCount() / Math.max(ne[0], 1));
    }

    /** The PyTorch-order shape (ne reversed). */
    public long[] shape() {
        long[] s = new long[ne.length];
        for (int i = 0; i < ne.length; i++) s[i] = ne[ne.length - 1 - i];
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && t.name.equals(name) && Arrays.equals(t.ne, ne) && t.type == type && t.offset == offset;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(ne);
    }

    @Override
    public String toString() {
        return name + " " + type + " ne=" + Arrays.toString(ne);
    }
}
