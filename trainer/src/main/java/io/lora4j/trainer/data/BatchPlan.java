package io.lora4j.trainer.data;

import io.lora4j.data.TokenizedExample;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which examples form which global batch and micro-batch, as a pure function of (dataset size, seed, epoch), so a
 * resumed or distributed run sees exactly the batches an uninterrupted single-worker run sees.
 *
 * <p>Epoch e visits a permutation seeded by (seed, e). Global batch k of an epoch is positions [k·G, (k+1)·G) of
 * that permutation (the last one may be shorter); it is cut into micro-batches of M consecutive examples, and with
 * W workers rank r takes micro-batches r, r+W, r+2W, ….
 */
public final class BatchPlan {
    private final int datasetSize;
    private final int globalBatch;
    private final int microBatch;
    private final long seed;
    private int cachedEpoch = -1;
    private int[] cachedOrder;

    public BatchPlan(int datasetSize, int globalBatch, int microBatch, long seed) {
        if (datasetSize <= 0) throw new IllegalArgumentException("the training set is empty");
        if (microBatch <= 0 || globalBatch <= 0 || globalBatch % microBatch != 0) {
            throw new IllegalArgumentException("train.batch (" + globalBatch + ") must be a positive multiple of train.micro_batch (" + microBatch + ")");
        }
        this.datasetSize = datasetSize;
        this.globalBatch = globalBatch;
        this.microBatch = microBatch;
        this.seed = seed;
    }

    public int batchesPerEpoch() {
        return (datasetSize + globalBatch - 1) / globalBatch;
    }

    /** Example indices of every micro-batch of global batch {@code batch} in {@code epoch}. */
    public List<int[]> microBatches(int epoch, int batch) {
        int[] order = permutation(epoch);
        int start = batch * globalBatch, end = Math.min(start + globalBatch, datasetSize);
        List<int[]> out = new ArrayList<>();
        for (int s = start; s < end; s += microBatch) {
            out.add(java.util.Arrays.copyOfRange(order, s, Math.min(s + microBatch, end)));
        }
        return out;
    }

    /** The micro-batches of a global batch that rank {@code rank} of {@code world} computes. */
    public List<int[]> microBatchesFor(int epoch, int batch, int rank, int world) {
        List<int[]> all = microBatches(epoch, batch), mine = new ArrayList<>();
        for (int i = rank; i < all.size(); i += world) mine.add(all.get(i));
        return mine;
    }

    private synchronized int[] permutation(int epoch) {
        if (epoch == cachedEpoch) return cachedOrder;
        int[] p = new int[datasetSize];
        for (int i = 0; i < p.length; i++) p[i] = i;
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = p.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        cachedEpoch = epoch;
        cachedOrder = p;
        return p;
    }
}
