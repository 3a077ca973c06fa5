package io.lora4j.export.quant;

import io.lora4j.core.model.FrozenLinear;
import io.lora4j.core.model.Linear;
import io.lora4j.core.model.LinearFactory;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.Projection;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Computes an importance matrix with lora4j's own forward pass, as llama-imatrix (llama.cpp c392e5094) does: for
 * every projection of every block, the sum over tokens of the squared activation entering it, per input column,
 * with the number of matrix multiplications (calls) that fed it. Projections are observed through a
 * {@link LinearFactory}, so the forward code is unchanged. output.weight is not collected (llama-imatrix skips it
 * unless --process-output), nor are calls with fewer than {@code minTokens} rows (llama-imatrix ignores calls under
 * 16 tokens, which are generation steps, not its chunks).
 */
public final class ImatrixCollector {
    /** Accumulated statistics of one weight matrix. */
    public static final class Stats {
        final double[] sums;
        long tokens;
        int ncall;

        Stats(int columns) {
            sums = new double[columns];
        }

        /** The sum over tokens of the squared input of each column. */
        public double[] sums() {
            return sums.clone();
        }

        /** Rows (tokens) accumulated; the same for every column of a dense projection. */
        public long tokens() {
            return tokens;
        }

        public int ncall() {
            return ncall;
        }
    }

    private final Map<String, Stats> stats = new LinkedHashMap<>();
    private final int minTokens;
    private int lastCall;

    public ImatrixCollector(int minTokens) {
        this.minTokens = minTokens;
    }

    /** A factory that wraps each projection so its input is recorded under its GGUF tensor name (blk.L.attn_q.weight ...). */
    public LinearFactory factory() {
        return (layer, projection, base) -> new Observing(base, stats.computeIfAbsent(projection.ggufWeightName(layer), k -> new Stats(base.inFeatures())));
    }

    /**
     * Runs {@code weights} over each sequence (one forward call per sequence, as llama-imatrix evaluates one chunk
     * per call when the context fits one micro-batch) and returns the collected statistics.
     */
    public static ImatrixCollector collect(LlamaConfig config, LlamaWeights weights, List<int[]> sequences, int minTokens) {
        if (sequences.isEmpty()) throw new IllegalArgumentException("no sequences to compute an importance matrix on");
        ImatrixCollector c = new ImatrixCollector(minTokens);
        LlamaModel model = new LlamaModel(config, weights, c.factory());
        for (int[] s : sequences) {
            if (s.length == 0) continue;
            model.forward(new int[][] {s}, false);
        }
        return c;
    }

    /**
     * llama-imatrix's chunks of a tokenized text (BOS first when the model adds it): {@code min(nChunks, n / nCtx)}
     * consecutive windows of {@code nCtx} tokens ({@code nChunks} &lt; 0: all), the first token of each replaced by
     * BOS when {@code bosId} &ge; 0. Like llama-imatrix it needs at least 2·nCtx tokens.
     */
    public static List<int[]> chunks(int[] tokens, int nCtx, int nChunks, int bosId) {
        if (nCtx < 1) throw new IllegalArgumentException("context size must be positive, got " + nCtx);
        if (tokens.length < 2 * nCtx) {
            throw new IllegalArgumentException("the text tokenizes to " + tokens.length + " tokens; a context of " + nCtx + " needs at least " + 2 * nCtx);
        }
        int n = tokens.length / nCtx;
        if (nChunks >= 0) n = Math.min(n, nChunks);
        List<int[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int[] c = Arrays.copyOfRange(tokens, i * nCtx, (i + 1) * nCtx);
            if (bosId >= 0) c[0] = bosId;
            out.add(c);
        }
        return out;
    }

    /** The statistics by tensor name, in model order; entries never called are absent. */
    public Map<String, Stats> stats() {
        Map<String, Stats> m = new LinkedHashMap<>();
        stats.forEach((k, v) -> {
            if (v.ncall > 0) m.put(k, v);
        });
        return m;
    }

    /** The largest call count of any entry: what llama-imatrix writes as the number of chunks. */
    public int lastCall() {
        return lastCall;
    }

    /** Writes the legacy llama.cpp imatrix file (see {@link ImportanceMatrixWriter}). */
    public void write(Path file, String dataset) throws IOException {
        Map<String, Stats> s = stats();
        if (s.isEmpty()) throw new IOException(file + ": nothing collected (every sequence was shorter than " + minTokens + " tokens)");
        List<ImportanceMatrixWriter.Entry> entries = new ArrayList<>();
        s.forEach((name, st) -> {
            float[] v = new float[st.sums.length];
            // llama-imatrix stores the mean over tokens times ncall; readers divide by ncall again.
            for (int j = 0; j < v.length; j++) v[j] = (float) (st.sums[j] / st.tokens) * st.ncall;
            entries.add(new ImportanceMatrixWriter.Entry(name, st.ncall, v));
        });
        ImportanceMatrixWriter.write(file, entries, lastCall, dataset);
    }

    private void record(Stats s, INDArray x) {
        long rows = x.size(0);
        if (rows < minTokens) return;
        int cols = s.sums.length;
        if (x.size(1) != cols) throw new IllegalStateException("projection input has " + x.size(1) + " columns, expected " + cols);
        float[] data = x.castTo(DataType.FLOAT).dup('c').data().asFloat();
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            for (int j = 0; j < cols; j++) {
                float v = data[o + j];
                s.sums[j] += (double) v * v;
            }
        }
        s.tokens += rows;
        s.ncall++;
        lastCall = Math.max(lastCall, s.ncall);
    }

    /** A projection that records its input before running the frozen weight. */
    private final class Observing implements Linear {
        private final FrozenLinear base;
        private final Stats stats;

        Observing(FrozenLinear base, Stats stats) {
            this.base = base;
            this.stats = stats;
        }

        @Override
        public int inFeatures() {
            return base.inFeatures();
        }

        @Override
        public int outFeatures() {
            return base.outFeatures();
        }

        @Override
        public INDArray forward(INDArray x) {
            record(stats, x);
            return base.forward(x);
        }

        @Override
        public INDArray backward(INDArray x, INDArray dy) {
            return base.backward(x, dy);
        }
    }
}
