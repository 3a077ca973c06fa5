package io.lora4j.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Rotary position embedding in Hugging Face's rotate-half layout: dimension i of a head is paired with i + hd/2
 * (weights loaded from GGUF or llama2.c are permuted to this layout, see {@link QkPermutation}).
 * out₁ = x₁·cos − x₂·sin, out₂ = x₂·cos + x₁·sin with angle p·θ^(−2i/hd).
 */
public final class Rope {
    private final INDArray cos; // (rows·T, hd/2)
    private final INDArray sin; // (rows·T, hd/2)
    private final int half;
    private final int rows; // 1: one table for every sequence; B: a table per sequence (packed batches)

    private Rope(INDArray cos, INDArray sin, int half, int rows) {
        this.cos = cos;
        this.sin = sin;
        this.half = half;
        this.rows = rows;
    }

    /**
     * Tables for positions start .. start+length-1, computed as ggml does (float angle p·s^i with
     * s = θ^(−2/hd) applied by repeated multiplication), so logits match llama.cpp's to the last bits.
     */
    public static Rope forPositions(int start, int length, int headDim, float theta) {
        return forPositions(start, length, headDim, theta, null);
    }

    /** The model's tables: its θ and, for Llama-3.1-style scaling, its per-frequency factors. */
    public static Rope forPositions(int start, int length, LlamaConfig c) {
        return forPositions(start, length, c.headDim(), c.ropeTheta(), c.ropeScaling());
    }

    /** As ggml: pair i turns by (p·s^i) / freqFactor[i] when {@code scaling} is given. */
    public static Rope forPositions(int start, int length, int headDim, float theta, RopeScaling scaling) {
        int half = headDim / 2;
        float scale = (float) Math.pow(theta, -2.0 / headDim);
        float[] c = new float[length * half], s = new float[length * half];
        for (int t = 0; t < length; t++) angles(start + t, t * half, half, scale, scaling, c, s);
        return new Rope(Nd4j.create(c, new long[] {length, half}, 'c'), Nd4j.create(s, new long[] {length, half}, 'c'), half, 1);
    }

    /**
     * Tables for sequences whose positions are given token by token, {@code positions[b][t]} (B rows of equal
     * length): a packed sequence restarts at 0 for each of its examples. Each entry is computed exactly as
     * {@link #forPositions} computes that position, so a packed example is rotated as it is alone.
     */
    public static Rope forPositionIds(int[][] positions, LlamaConfig c) {
        int B = positions.length, T = positions[0].length, half = c.headDim() / 2;
        float scale = (float) Math.pow(c.ropeTheta(), -2.0 / c.headDim());
        float[] cs = new float[B * T * half], sn = new float[B * T * half];
        for (int b = 0; b < B; b++) {
            if (positions[b].length != T) throw new IllegalArgumentException("position ids: row " + b + " has " + positions[b].length + " entries, not " + T);
            for (int t = 0; t < T; t++) angles(positions[b][t], (b * T + t) * half, half, scale, c.ropeScaling(), cs, sn);
        }
        return new Rope(Nd4j.create(cs, new long[] {(long) B * T, half}, 'c'), Nd4j.create(sn, new long[] {(long) B * T, half}, 'c'), half, B);
    }

    /** cos/sin of position p's pairs into c and s from {@code at}: float angle p·s^i, repeated multiplication as ggml. */
    private static void angles(int p, int at, int half, float scale, RopeScaling scaling, float[] c, float[] s) {
        float angle = p;
        for (int i = 0; i < half; i++) {
            float a = scaling == null ? angle : angle / scaling.factor(i);
            c[at + i] = (float) Math.cos(a);
            s[at + i] = (float) Math.sin(a);
            angle *= scale;
        }
    }

    /** x (B, T, heads, hd) → rotated copy. */
    public INDArray forward(INDArray x) {
        return rotate(x, false);
    }

    /** The backward of a rotation is the rotation by the negative angle. */
    public INDArray backward(INDArray dy) {
        return rotate(dy, true);
    }

    private INDArray rotate(INDArray x, boolean inverse) {
        long T = x.size(1);
        if (rows != 1 && rows != x.size(0)) throw new IllegalArgumentException("RoPE tables for " + rows + " sequences, input has " + x.size(0));
        INDArray c = cos.castTo(x.dataType()).reshape(rows, T, 1, half);
        INDArray s = sin.castTo(x.dataType()).reshape(rows, T, 1, half);
        INDArray x1 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half));
        INDArray x2 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, 2 * half));
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.shape());
        INDArray o1 = x1.mul(c), o2 = x2.mul(c);
        if (inverse) {
            o1.addi(x2.mul(s));
            o2.subi(x1.mul(s));
        } else {
            o1.subi(x2.mul(s));
            o2.addi(x1.mul(s));
        }
        out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half)).assign(o1);
        out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, 2 * half)).assign(o2);
        return out;
    }
}
