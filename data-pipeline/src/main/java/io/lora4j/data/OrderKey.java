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

    /** Shards for {@code n} records: about {@link #RECORDS_PER_SHARD} each, at least one. */
    static int shards(long n) {
        return (int) Math.max(1, Math.min(4096, (n + RECORDS_PER_SHARD - 1) / RECORDS_PER_SHARD));
    }

    static final long RECORDS_PER_SHARD = 20_000;

    private static final class ByUnitThenWhere implements Comparator<OrderKey>, Serializable {
        @Override
        public int compare(OrderKey a, OrderKey b) {
            return a.compareTo(b);
        }
    }

    /** Shard i holds the keys with unit in [i/n, (i+1)/n): contiguous ranges, so shard order is the global order. */
    static final class RangeOfUnit extends Partitioner {
        private final int n;

        RangeOfUnit(int n) {
            this.n = n;
        }

        @Override
        public int numPartitions() {
            return n;
        }

        @Override
        public int getPartition(Object key) {
            return (int) Math.min(n - 1, Math.floor(((OrderKey) key).unit() * n));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RangeOfUnit r && r.n == n;
        }

        @Override
        public int hashCode() {
            return n;
        }
    }
}
