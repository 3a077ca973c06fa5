package io.lora4j.export;

import io.lora4j.core.model.CausalAttention;
import io.lora4j.core.model.FrozenLinear;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.RmsNorm;
import io.lora4j.core.model.Rope;
import io.lora4j.core.model.SwiGlu;
import io.lora4j.core.model.WeightSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * LlamaModel's fp32 forward pass (batch 1 per sequence, the same operations in the same order), run over a
 * {@link WeightSource} one weight at a time: each projection is read, applied to every sequence, and dropped, so
 * checking or scoring a written file never holds more than one tensor of it.
 */
final class LayerwiseForward {
    private LayerwiseForward() {}

    /** The final hidden states (T, d) of each sequence, before the output norm. */
    static List<INDArray> hidden(LlamaConfig c, WeightSource w, List<int[]> seqs) throws IOException {
        List<INDArray> h = new ArrayList<>();
        int[] all = seqs.stream().flatMapToInt(java.util.Arrays::stream).toArray();
        for (int id : all) {
            if (id < 0 || id >= c.vocabSize()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + c.vocabSize() + ")");
        }
        float[] rows = w.readRows("model.embed_tokens.weight", c.vocabSize(), c.dim(), all); // only the rows of these tokens
        int at = 0;
        for (int[] s : seqs) {
            h.add(Nd4j.create(java.util.Arrays.copyOfRange(rows, at * c.dim(), (at + s.length) * c.dim()), new long[] {s.length, c.dim()}, 'c'));
            at += s.length;
        }
        List<Rope> ropes = new ArrayList<>();
        for (int[] s : seqs) ropes.add(Rope.forPositions(0, s.length, c));
        for (int l = 0; l < c.nLayers(); l++) h = block(c, w, l, h, seqs, ropes);
        return h;
    }

    /** Hands each sequence's logits (T, V) to {@code out}, one at a time. */
    static void logits(LlamaConfig c, WeightSource w, List<INDArray> hidden, BiConsumer<Integer, INDArray> out) throws IOException {
        INDArray norm = vector(w, "model.norm.weight", c.dim());
        String head = c.tiedEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
        List<INDArray> xn = new ArrayList<>();
        for (INDArray x : hidden) xn.add(RmsNorm.forward(x, RmsNorm.rstd(x, c.rmsNormEps()), norm));
        // the output matrix is read a slice of vocabulary rows at a time: a 32000-row head is never held whole
        List<List<INDArray>> parts = new ArrayList<>();
        for (int i = 0; i < xn.size(); i++) parts.add(new ArrayList<>());
        int rowsPerSlice = Math.max(1, (int) (WeightSource.PART_VALUES / c.dim()));
        for (int r0 = 0; r0 < c.vocabSize(); r0 += rowsPerSlice) {
            int n = Math.min(rowsPerSlice, c.vocabSize() - r0);
            float[] slice = w.readRows(head, c.vocabSize(), c.dim(), WeightSource.rowRange(r0, r0 + n));
            try (INDArray sliceArray = Nd4j.create(slice, new long[] {n, c.dim()}, 'c')) {
                FrozenLinear lin = new FrozenLinear(sliceArray);
                for (int i = 0; i < xn.size(); i++) parts.get(i).add(lin.forward(xn.get(i)));
            }
        }
        for (int i = 0; i < xn.size(); i++) {
            List<INDArray> p = parts.get(i);
            out.accept(i, p.size() == 1 ? p.get(0) : Nd4j.hstack(p.toArray(INDArray[]::new)));
            p.clear();
        }
    }

    private static List<INDArray> block(LlamaConfig c, WeightSource w, int l, List<INDArray> x, List<int[]> seqs, List<Rope> ropes) throws IOException {
        String prefix = "model.layers." + l + ".";
        INDArray attnNorm = vector(w, prefix + "input_layernorm.weight", c.dim());
        List<INDArray> xn = new ArrayList<>();
        for (INDArray h : x) xn.add(RmsNorm.forward(h, RmsNorm.rstd(h, c.rmsNormEps()), attnNorm));
        List<INDArray> q = project(c, w, l, Projection.Q, xn), k = project(c, w, l, Projection.K, xn), v = project(c, w, l, Projection.V, xn);
        List<INDArray> attn = new ArrayList<>();
        for (int s = 0; s < x.size(); s++) attn.add(CausalAttention.forward(c, 1, seqs.get(s).length, q.get(s), k.get(s), v.get(s), ropes.get(s), false, null));
        q = k = v = null;
        List<INDArray> mid = project(c, w, l, Projection.O, attn);
        for (int s = 0; s < x.size(); s++) mid.get(s).addi(x.get(s));
        INDArray ffnNorm = vector(w, prefix + "post_attention_layernorm.weight", c.dim());
        xn.clear();
        for (INDArray h : mid) xn.add(RmsNorm.forward(h, RmsNorm.rstd(h, c.rmsNormEps()), ffnNorm));
        List<INDArray> gate = project(c, w, l, Projection.GATE, xn);
        List<INDArray> up = project(c, w, l, Projection.UP, xn);
        List<INDArray> act = new ArrayList<>();
        for (int s = 0; s < x.size(); s++) act.add(SwiGlu.forward(gate.get(s), up.get(s)));
        gate = up = null;
        List<INDArray> out = project(c, w, l, Projection.DOWN, act);
        for (int s = 0; s < x.size(); s++) out.get(s).addi(mid.get(s));
        return out;
    }

    /** One projection (+ bias) applied to every sequence; its weight is released when this returns. */
    private static List<INDArray> project(LlamaConfig c, WeightSource w, int l, Projection p, List<INDArray> xs) throws IOException {
        INDArray b = c.hasBias(p) ? vector(w, p.hfBiasName(l), p.outFeatures(c)) : null;
        List<INDArray> ys = new ArrayList<>();
        try (INDArray weight = matrix(w, p.hfWeightName(l), p.outFeatures(c), p.inFeatures(c))) { // freed now, not at the next GC
            FrozenLinear lin = new FrozenLinear(weight);
            for (INDArray x : xs) {
                INDArray y = lin.forward(x);
                ys.add(b == null ? y : y.addiRowVector(b));
            }
        }
        return ys;
    }

    /** The weight assembled off-heap from parts, so the heap never holds the whole fp32 matrix. */
    private static INDArray matrix(WeightSource w, String name, int rows, int cols) throws IOException {
        INDArray m = Nd4j.createUninitializedDetached(org.nd4j.linalg.api.buffer.DataType.FLOAT, rows, cols);
        int part = Math.max(1, (int) (WeightSource.PART_VALUES / cols));
        for (int r0 = 0; r0 < rows; r0 += part) {
            int n = Math.min(part, rows - r0);
            try (INDArray p = Nd4j.create(w.readRows(name, rows, cols, WeightSource.rowRange(r0, r0 + n)), new long[] {n, cols}, 'c')) {
                m.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(r0, r0 + n), org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(p);
            }
        }
        return m;
    }

    private static INDArray vector(WeightSource w, String name, int n) throws IOException {
        return Nd4j.create(w.read(name, n), new long[] {n}, 'c');
    }
}
