package io.lora4j.core.model;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Incremental decoding of one sequence with a key/value cache: each {@link #next(int)} runs one token through the
 * model (through the same {@link Linear}s, so an adapted model decodes adapted) and returns the next-token logits.
 */
public final class KvCacheSession {
    private final LlamaModel model;
    private final LlamaConfig c;
    private final List<INDArray> keys = new ArrayList<>();   // per layer (Hkv, maxT, hd), roped
    private final List<INDArray> values = new ArrayList<>(); // per layer (Hkv, maxT, hd)
    private final int maxTokens;
    private int pos;

    public KvCacheSession(LlamaModel model, int maxTokens) {
        this.model = model;
        this.c = model.config();
        this.maxTokens = maxTokens;
        for (int l = 0; l < c.nLayers(); l++) {
            keys.add(Nd4j.zeros(model.computeType(), c.nKvHeads(), maxTokens, c.headDim()));
            values.add(Nd4j.zeros(model.computeType(), c.nKvHeads(), maxTokens, c.headDim()));
        }
    }

    public int position() {
        return pos;
    }

    /** Feeds one token at the current position; returns the logits (V) for the next position. */
    public float[] next(int token) {
        if (pos >= maxTokens) throw new IllegalStateException("KV cache is full (" + maxTokens + " tokens)");
        int H = c.nHeads(), Hkv = c.nKvHeads(), hd = c.headDim(), g = c.groupSize();
        Rope rope = Rope.forPositions(pos, 1, c);
        int first = c.slidingWindow() > 0 ? Math.max(0, pos + 1 - c.slidingWindow()) : 0; // Mistral's window
        INDArray x = model.embed(new int[] {token});
        for (int l = 0; l < c.nLayers(); l++) {
            LlamaWeights.Layer w = model.weights().layers().get(l);
            INDArray xn = RmsNorm.forward(x, RmsNorm.rstd(x, c.rmsNormEps()), w.attnNorm());
            INDArray q = rope.forward(model.project(l, Projection.Q, xn).reshape('c', 1, 1, H, hd)).reshape('c', Hkv, g, hd);
            INDArray k = rope.forward(model.project(l, Projection.K, xn).reshape('c', 1, 1, Hkv, hd)).reshape('c', Hkv, hd);
            INDArray v = model.project(l, Projection.V, xn).reshape('c', Hkv, hd);
            keys.get(l).get(NDArrayIndex.all(), NDArrayIndex.point(pos), NDArrayIndex.all()).assign(k);
            values.get(l).get(NDArrayIndex.all(), NDArrayIndex.point(pos), NDArrayIndex.all()).assign(v);
            INDArray kPast = keys.get(l).get(NDArrayIndex.all(), NDArrayIndex.interval(first, pos + 1), NDArrayIndex.all()).dup('c');
            INDArray vPast = values.get(l).get(NDArrayIndex.all(), NDArrayIndex.interval(first, pos + 1), NDArrayIndex.all()).dup('c');
            INDArray scores = Nd4j.matmul(q, kPast, null, false, true, false).muli(1.0 / Math.sqrt(hd)); // (Hkv, g, pos+1-first)
            INDArray p = Nd4j.createUninitialized(scores.dataType(), scores.shape());
            Nd4j.exec(new SoftMax(scores, p, 2));
            INDArray attn = Nd4j.matmul(p, vPast, null, false, false, false).reshape('c', 1, (long) H * hd);
            x = model.project(l, Projection.O, attn).addi(x);

            INDArray xn2 = RmsNorm.forward(x, RmsNorm.rstd(x, c.rmsNormEps()), w.ffnNorm());
            INDArray act = SwiGlu.forward(model.project(l, Projection.GATE, xn2), model.project(l, Projection.UP, xn2));
            x = model.project(l, Projection.DOWN, act).addi(x);
        }
        INDArray xn = RmsNorm.forward(x, RmsNorm.rstd(x, c.rmsNormEps()), model.weights().outputNorm());
        pos++;
        return model.outputLinear().forward(xn).toFloatVector();
    }
}
