package io.lora4j.core.gguf;

import io.lora4j.core.ggml.GgmlType;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor-info record. {@code ne} is ggml's dimension order (ne[0] is the contiguous row; the PyTorch shape is the
 * reverse), 0 to 4 entries, missing dimensions count as 1. {@code offset} is relative to the start of the data
 * section. Immutable: {@code ne} is copied in and out.
 */
public record GgufTensorInfo(String name, long[] ne, GgmlType type, long offset) {

    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        ne = ne.clone();
        if (ne.length > 4) throw new IllegalArgumentException("tensor '" + name + "' has " + ne.length + " dimensions, ggml allows at most 4");
        for (long d : ne) if (d < 0) throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension: " + Arrays.toString(ne));
        if (offset < 0) throw new IllegalArgumentException("tensor '" + name + "' has a negative offset " + offset);
    }

    @Override
    public long[] ne() {
        return ne.clone();
    }

    public int nDims() {
        return ne.length;
    }

    /** ne[i], or 1 for a dimension beyond {@link #nDims()}. */
    public long dim(int i) {
        return i < ne.length ? ne[i] : 1;
    }

    /** Number of values; throws ArithmeticException when it does not fit in a long. */
    public long elementCount() {
        long n = 1;
        for (long d : ne) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Bytes of the tensor data without padding: (ne[0]/block) * typeSize * ne[1] * ne[2] * ne[3]. */
    public long byteSize() {
        long bytes = type.rowBytes(dim(0));
        for (int i = 1; i < ne.length; i++) bytes = Math.multiplyExact(bytes, ne[i]);
        return bytes;
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
        return Objects.hash(name, Arrays.hashCode(ne), type, offset);
    }

    @Override
    public String toString() {
        return name + " " + type + " ne=" + Arrays.toString(ne) + " @" + offset;
    }
}
