package io.lora4j.data;

import io.lora4j.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import org.apache.spark.api.java.function.Function;
import scala.Tuple2;

/**
 * The prepare job without Spark, in this process: the same reading, encoding, ordering, dedup, split, packing and
 * shard writing as {@link PrepareJob} (it calls the same methods), so the dataset it writes has the same rows, shard
 * by shard. It holds every encoded record in memory, so it is for what one machine trains on anyway ({@code train}
 * without a prepared dataset); Parquet inputs need Spark's reader and go through {@link PrepareJob}.
 */
final class LocalPrepare {
    private LocalPrepare() {}

    static boolean canRead(List<String> files) {
        return files.stream().noneMatch(f -> f.endsWith(".parquet"));
    }

    static PrepareSummary run(PrepareConfig cfg, String tokenizerPath, String outUri, String contentHash, PrintStream log) throws IOException {
        List<String> files = PrepareJob.validate(cfg, tokenizerPath);
        files.sort(null);
        Tokenizer tok = TokenizerCache.get(tokenizerPath);
        long[] counted = new long[1];
        PrepareJob.Counter count = n -> counted[0] += n;
        List<Tuple2<OrderKey, Encoded>> all = new ArrayList<>();
        long orderSeed = cfg.seed() + 1;
        InstructionFormat template = PrepareJob.template(cfg, tokenizerPath);
        for (String f : files) {
            Iterator<Encoded> encoded = PrepareJob.encodePartition(RawRecords.read(RawRecords.Slice.whole(f)), cfg, tokenizerPath, tok.fingerprint(),
                    template, count);
            while (encoded.hasNext()) {
                Encoded e = encoded.next();
                all.add(new Tuple2<>(e.kept() ? new OrderKey(SplitAndDedup.unit(e.hash(), orderSeed), e.where()) : OrderKey.reject(e.where()), e));
            }
        }
        int shards = OrderKey.shardsForBytes(PrepareJob.inputBytes(files));
        OrderKey.ShardsThenRejects partitioner = new OrderKey.ShardsThenRejects(shards);
        List<List<Tuple2<OrderKey, Encoded>>> partitions = new ArrayList<>();
        for (int p = 0; p <= shards; p++) partitions.add(new ArrayList<>());
        for (Tuple2<OrderKey, Encoded> t : all) partitions.get(partitioner.getPartition(t._1)).add(t);
        for (List<Tuple2<OrderKey, Encoded>> part : partitions) part.sort((a, b) -> OrderKey.ORDER.compare(a._1, b._1));

        Function<Encoded, Boolean> isVal = PrepareJob.validationRule(cfg, n -> smallest(partitions, shards, cfg, n));
        PrepareJob.Plan plan = PrepareJob.startOutput(outUri, shards, cfg);
        List<PrepareJob.ShardResult> results = new ArrayList<>();
        try {
            for (int p = 0; p <= shards; p++) results.add(PrepareJob.writeShard(p, partitions.get(p).iterator(), plan, isVal, count));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
        PrepareSummary summary = PrepareJob.finish(cfg, tok, plan, outUri, contentHash, results);
        log.print(summary.format());
        return summary;
    }

    /** The n smallest split keys of the unique kept records, as the Spark job's takeOrdered finds them. */
    private static List<OrderKey> smallest(List<List<Tuple2<OrderKey, Encoded>>> partitions, int shards, PrepareConfig cfg, int n) {
        PriorityQueue<OrderKey> largestFirst = new PriorityQueue<>(OrderKey.ORDER.reversed());
        for (int p = 0; p < partitions.size(); p++) {
            for (OrderKey k : PrepareJob.uniqueKeys(p, partitions.get(p).iterator(), shards, cfg.dedup(), cfg.seed())) {
                largestFirst.add(k);
                if (largestFirst.size() > n) largestFirst.poll();
            }
        }
        List<OrderKey> out = new ArrayList<>(largestFirst);
        out.sort(OrderKey.ORDER);
        return out;
    }
}
