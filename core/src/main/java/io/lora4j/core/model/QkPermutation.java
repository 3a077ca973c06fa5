package io.lora4j.core.model;

/**
 * The row permutation llama.cpp's converter applies to Q and K weights (REFERENCE.md A.6).
 *
 * <p>GGUF (and Meta / llama2.c) rows pair adjacent dimensions (2i, 2i+1) for RoPE; Hugging Face rows pair
 * (i, i + hd/2). Within each head: GGUF row 2i = HF row i and GGUF row 2i+1 = HF row hd/2 + i.
 * lora4j keeps every weight in Hugging Face order, so one RoPE implementation serves all sources.
 */
public final class QkPermutation {
    private QkPermutation() {}

    /** Interleaved (GGUF) rows → Hugging Face rows, for a (heads·hd, cols) row-major matrix. */
    public static float[] toHf(float[] w, int heads, int cols) {
        return permute(w, heads, cols, true);
    }

    /** Hugging Face rows → interleaved (GGUF) rows, the converter's direction. */
    public static float[] toGguf(float[] w, int heads, int cols) {
        return permute(w, heads, cols, false);
    }

    private static float[] permute(float[] w, int heads, int cols, boolean toHf) {
        int rows = w.length / cols;
        if (rows * cols != w.length || rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new IllegalArgumentException("cannot permute a " + rows + "x" + cols + " matrix over " + heads + " heads");
        }
        int hd = rows / heads;
        int half = hd / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                int gEven = h * hd + 2 * i, gOdd = gEven + 1;
                int hfFirst = h * hd + i, hfSecond = h * hd + half + i;
                if (toHf) {
                    System.arraycopy(w, gEven * cols, out, hfFirst * cols, cols);
                    System.arraycopy(w, gOdd * cols, out, hfSecond * cols, cols);
                } else {
                    System.arraycopy(w, hfFirst * cols, out, gEven * cols, cols);
                    System.arraycopy(w, hfSecond * cols, out, gOdd * cols, cols);
                }
            }
        }
        return out;
    }

    /** For each Hugging Face row of a (heads·hd, ·) Q or K matrix, the GGUF (interleaved) row it is stored in. */
    public static int[] hfRowSources(int rows, int heads) {
        if (rows % heads != 0 || (rows / heads) % 2 != 0) throw new IllegalArgumentException("cannot permute " + rows + " rows over " + heads + " heads");
        int hd = rows / heads, half = hd / 2;
        int[] src = new int[rows];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                src[h * hd + i] = h * hd + 2 * i;
                src[h * hd + half + i] = h * hd + 2 * i + 1;
            }
        }
        return src;
    }
}
