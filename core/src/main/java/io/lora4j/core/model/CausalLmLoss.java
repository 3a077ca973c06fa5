package io.lora4j.core.model;

import io.lora4j.core.compute.Workspaces;
import java.util.List;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Causal-LM cross-entropy as Hugging Face computes it: the logits at position t predict {@code labels[t+1]};
 * positions whose target is {@value #IGNORE} are skipped; the loss is the mean over the remaining positions.
 */
public final class CausalLmLoss {
    public static final int IGNORE = -100;

    private CausalLmLoss() {}

    /**
     * @param loss     mean cross-entropy over counted positions (NaN when nothing is counted)
     * @param count    number of counted positions
     * @param dLogits  gradient of {@code loss} w.r.t. the logits (N, V), or null when not requested
     */
    public record Result(double loss, int count, INDArray dLogits) {}

    /**
     * @param loss    mean cross-entropy over counted positions (NaN when nothing is counted)
     * @param count   number of counted positions
     * @param dHidden gradient w.r.t. the output projection's input (N, d), or null when not requested
     */
    public record HiddenResult(double loss, int count, INDArray dHidden) {}

    /** Rows per chunk of {@link #fromHidden} hold about this many logits (32 MiB of fp32). */
    static final long CHUNK_LOGITS = 1L << 23;

    /** Logits (B·T, V) and labels (B, T) aligned with the inputs (the shift happens here). */
    public static Result compute(INDArray logits, int[][] labels, boolean withGradient) {
        int V = (int) logits.size(1);
        int[] target = targets(labels, V);
        int count = counted(target);
        double total = rowLosses(logits, target, 0);
        double loss = count > 0 ? total / count : Double.NaN;
        if (!withGradient) return new Result(loss, count, null);
        return new Result(loss, count, rowGradients(logits, target, 0, count > 0 ? 1.0 / count : 0));
    }

    /**
     * The loss from the output projection's input xn (N, d), in chunks of rows: a chunk's logits, its loss terms and
     * (with a gradient) its logit gradients, the rows of dxn and the output matrix's gradient are computed and dropped
     * before the next chunk, so the (N, V) logits never exist at once. Chunks without a counted position are skipped.
     * Each chunk runs in the per-block workspace.
     *
     * @param sumScale the gradients are those of sumScale × (sum of the counted losses): 1/count for the mean
     * @param dWout    the output matrix's gradient (V, d) to accumulate into, or null when it is frozen
     */
    public static HiddenResult fromHidden(Linear output, INDArray xn, int[][] labels, boolean withGradient, double sumScale, INDArray dWout) {
        return fromHidden(output, xn, labels, withGradient, sumScale, dWout, (int) Math.max(1, Math.min(xn.size(0), CHUNK_LOGITS / output.outFeatures())));
    }

    /** As above with {@code rows} rows per chunk (tests use small chunks). */
    static HiddenResult fromHidden(Linear output, INDArray xn, int[][] labels, boolean withGradient, double sumScale, INDArray dWout, int rows) {
        int V = output.outFeatures(), N = (int) xn.size(0);
        int[] target = targets(labels, V);
        if (target.length != N) throw new IllegalArgumentException(N + " hidden rows for " + target.length + " labels");
        if (dWout == null && output instanceof FrozenLinear f && f.stored().denseAs(xn.dataType()) == null && V > VOCAB_ROWS) {
            return inVocabSlices(f, xn, labels, withGradient, sumScale, VOCAB_ROWS);
        }
        int count = counted(target);
        INDArray dxn = withGradient ? Nd4j.zeros(xn.dataType(), N, xn.size(1)) : null;
        MemoryWorkspace outer = Nd4j.getMemoryManager().getCurrentWorkspace();
        // a frozen output matrix is expanded once for all chunks (not twice per chunk), into the shared scratch
        INDArray w = output instanceof FrozenLinear f ? WeightScratch.expand(f.stored(), xn.dataType()) : null;
        double total = 0;
        for (int r0 = 0; r0 < N; r0 += rows) {
            int r1 = Math.min(N, r0 + rows);
            if (counted(target, r0, r1) == 0) continue; // no loss, zero gradient rows
            try (MemoryWorkspace ignored = Workspaces.layer()) {
                INDArray x = xn.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all()).dup('c');
                INDArray logits = w != null ? Nd4j.gemm(x, w, false, true) : output.forward(x);
                total += rowLosses(logits, target, r0);
                if (!withGradient) continue;
                INDArray d = rowGradients(logits, target, r0, sumScale);
                dxn.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all()).assign(w != null ? Nd4j.gemm(d, w, false, false) : output.backward(x, d));
                if (dWout != null) dWout.addi(Nd4j.gemm(d, x, true, false).castTo(dWout.dataType()));
            }
        }
        double loss = count > 0 ? total / count : Double.NaN;
        return new HiddenResult(loss, count, Workspaces.keep(dxn, outer));
    }

    /**
     * Rows of the output matrix expanded at a time when it is stored quantized or in half precision: expanding all of
     * it would make the shared scratch the size of the whole output matrix (500 MiB for a 32000 × 4096 vocabulary,
     * 2 GiB for 128k), larger than any projection's.
     */
    static final int VOCAB_ROWS = 8192;

    /**
     * {@link #fromHidden} for a frozen output matrix, expanded {@code vocabRows} rows at a time in one pass over the
     * vocabulary: each slice is expanded once and its logits computed once. The loss keeps a running max and sum of
     * exponentials per row (log-sum-exp without the whole row of logits). The input gradient, scale · (softmax −
     * onehot) · W, is accumulated as A = Σ exp(logits − max) · W_slice, rescaled whenever a row's max grows (as
     * flash attention accumulates its output), and finished as scale · (A / sum − W[target]), the target rows read
     * straight from the stored matrix. Against the dense path this saves a second pass that recomputed every slice's
     * logits (one more gemm the size of the output matrix, 0.7 s a step for a 7B vocabulary here) and expanded each
     * slice twice more.
     */
    static HiddenResult inVocabSlices(FrozenLinear output, INDArray xn, int[][] labels, boolean withGradient, double sumScale, int vocabRows) {
        int N = (int) xn.size(0);
        long d = xn.size(1);
        int[] target = targets(labels, output.outFeatures());
        if (target.length != N) throw new IllegalArgumentException(N + " hidden rows for " + target.length + " labels");
        int count = counted(target);
        INDArray dxn = withGradient ? Nd4j.zeros(xn.dataType(), N, d) : null;
        MemoryWorkspace outer = Nd4j.getMemoryManager().getCurrentWorkspace();
        List<FrozenWeight> slices = output.rowChunks(vocabRows);
        int rows = (int) Math.max(1, Math.min(N, CHUNK_LOGITS / vocabRows));
        double total = 0;
        for (int r0 = 0; r0 < N; r0 += rows) {
            int r1 = Math.min(N, r0 + rows), n = r1 - r0;
            if (counted(target, r0, r1) == 0) continue;
            double[] max = new double[n], sum = new double[n], picked = new double[n], rescale = new double[n];
            java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
            INDArray x = xn.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all()).dup('c');
            INDArray acc = withGradient ? Nd4j.zeros(xn.dataType(), n, d) : null;
            long v0 = 0;
            for (FrozenWeight slice : slices) {
                try (MemoryWorkspace ignored = Workspaces.layer()) {
                    INDArray w = WeightScratch.expand(slice, xn.dataType());
                    INDArray logits = Nd4j.gemm(x, w, false, true);
                    double[] cmax = logits.max(1).toDoubleVector();
                    for (int r = 0; r < n; r++) {
                        double m = Math.max(max[r], cmax[r]);
                        rescale[r] = Math.exp(max[r] - m); // 0 for the first slice (max was −∞)
                        sum[r] *= rescale[r];
                        max[r] = m;
                        int y = target[r0 + r];
                        if (y >= v0 && y < v0 + slice.rows()) picked[r] = logits.getDouble(r, y - v0);
                    }
                    INDArray e = Transforms.exp(logits.subiColumnVector(column(max, logits)), false);
                    double[] s = e.sum(1).toDoubleVector();
                    for (int r = 0; r < n; r++) sum[r] += s[r];
                    if (acc != null) {
                        acc.muliColumnVector(column(rescale, acc));
                        Nd4j.gemm(e, w, acc, false, false, 1.0, 1.0);
                    }
                }
                v0 += slice.rows();
            }
            int[] ys = new int[n];
            double[] scale = new double[n], invSum = new double[n];
            for (int r = 0; r < n; r++) {
                invSum[r] = 1 / sum[r];
                int y = target[r0 + r];
                if (y == IGNORE) continue; // scale 0: a zero gradient row (ys[r] = 0 is any valid row)
                total += max[r] + Math.log(sum[r]) - picked[r];
                scale[r] = sumScale;
                ys[r] = y;
            }
            if (acc == null) continue;
            try (MemoryWorkspace ignored = Workspaces.layer()) {
                INDArray targetRows = output.stored().rows(ys, xn.dataType());
                INDArray g = acc.muliColumnVector(column(invSum, acc)).subi(targetRows).muliColumnVector(column(scale, acc));
                dxn.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all()).assign(g);
            }
        }
        return new HiddenResult(count > 0 ? total / count : Double.NaN, count, Workspaces.keep(dxn, outer));
    }

    /** v as an (n, 1) column of like's type. */
    private static INDArray column(double[] v, INDArray like) {
        return Nd4j.createFromArray(v).castTo(like.dataType()).reshape(v.length, 1);
    }

    /** Next-token targets per row (IGNORE where nothing is predicted), checked against the vocabulary. */
    private static int[] targets(int[][] labels, int V) {
        int B = labels.length, T = labels[0].length;
        int[] target = new int[B * T];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int y = t + 1 < T ? labels[b][t + 1] : IGNORE;
                if (y != IGNORE && (y < 0 || y >= V)) {
                    throw new IllegalArgumentException("label " + y + " at sequence " + b + ", position " + (t + 1) + " is outside the vocabulary [0, " + V + ")");
                }
                target[b * T + t] = y;
            }
        }
        return target;
    }

    private static int counted(int[] target) {
        return counted(target, 0, target.length);
    }

    private static int counted(int[] target, int from, int to) {
        int n = 0;
        for (int r = from; r < to; r++) if (target[r] != IGNORE) n++;
        return n;
    }

    /** Σ over the counted rows of logits (rows of target from {@code r0}) of logsumexp − logit[target]. */
    private static double rowLosses(INDArray logits, int[] target, int r0) {
        INDArray max = logits.max(true, 1);                                     // (n, 1)
        INDArray shifted = logits.subColumnVector(max);
        INDArray logSumExp = Transforms.log(Transforms.exp(shifted, true).sum(true, 1), false); // (n, 1)
        double total = 0;
        for (int r = 0; r < logits.size(0); r++) {
            int y = target[r0 + r];
            if (y != IGNORE) total += logSumExp.getDouble(r, 0) - shifted.getDouble(r, y);
        }
        return total;
    }

    /** (softmax − onehot(target)) · scale on counted rows, 0 elsewhere. */
    private static INDArray rowGradients(INDArray logits, int[] target, int r0, double scale) {
        int n = (int) logits.size(0);
        INDArray d = Nd4j.createUninitialized(logits.dataType(), logits.shape());
        Nd4j.exec(new SoftMax(logits, d, 1));
        double[] rowScale = new double[n];
        for (int r = 0; r < n; r++) {
            int y = target[r0 + r];
            if (y == IGNORE) continue;
            d.putScalar(r, y, d.getDouble(r, y) - 1.0);
            rowScale[r] = scale;
        }
        d.muliColumnVector(Nd4j.createFromArray(rowScale).castTo(d.dataType()).reshape(n, 1));
        return d;
    }
}
