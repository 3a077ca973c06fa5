package io.lora4j.data;

import java.io.Serializable;
import java.util.Comparator;
import org.apache.spark.Partitioner;

/**
 * Where a record goes in the seeded order: a uniform number in [0, 1) from its content hash and the seed, ties
 * (identical records when dedup is off) broken by position. Records are range-partitioned by that number into a
 * count of shards that depends only on the number of records, so the shards and their contents do not depend on the
 * cluster, the input partitioning or the number of cores.
 */
record OrderKey(double unit, String where) implements Serializable, Comparable<OrderKey> {
    static final Comparator<OrderKey> ORDER = new ByUnitThenWhere();

    @Override
    public int compareTo(OrderKey o) {
        int c = Double.compare(unit, o.unit);
        return c != 0 ? c : where.compareTo(o.where);
    }

    /**
     * Shards for {@code bytes} of input: one per {@link #INPUT_BYTES_PER_SHARD} (about 12,000 Alpaca records), at
     * least one, at most 4096. Known before anything is read, so the data is shuffled once, straight into its shards.
     */
    static int shardsForBytes(long bytes) {
        return (int) Math.max(1, Math.min(4096, (bytes + INPUT_BYTES_PER_SHARD - 1) / INPUT_BYTES_PER_SHARD));
    }

    static final long INPUT_BYTES_PER_SHARD = 8L << 20;

    /** The key of a rejected record: after every kept one (unit 2 is out of range), in position order. */
    static OrderKey reject(String where) {
        return new OrderKey(2, where);
    }

    private static final class ByUnitThenWhere implements Comparator<OrderKey>, Serializable {
        @Override
        public int compare(OrderKey a, OrderKey b) {
            return a.compareTo(b);
        }
    }

    /**
     * Shard i holds the keys with unit in [i/n, (i+1)/n): contiguous ranges, so shard order is the global order;
     * partition n holds the rejects.
     */
    static final class ShardsThenRejects extends Partitioner {
        private final int n;

        ShardsThenRejects(int n) {
            this.n = n;
        }

        @Override
        public int numPartitions() {
            return n + 1;
        }

        @Override
        public int getPartition(Object key) {
            double unit = ((OrderKey) key).unit();
            return unit >= 1 ? n : (int) Math.min(n - 1, Math.floor(unit * n));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ShardsThenRejects r && r.n == n;
        }

        @Override
        public int hashCode() {
            return n;
        }
    }
}
