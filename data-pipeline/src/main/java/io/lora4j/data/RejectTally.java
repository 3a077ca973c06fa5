package io.lora4j.data;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/** Records read and rejects by reason category; built per partition and merged (Spark aggregate). */
final class RejectTally implements Serializable {
    long read;
    final TreeMap<String, Long> reasons = new TreeMap<>();

    RejectTally add(Encoded e) {
        read++;
        if (!e.kept()) reasons.merge(RecordParser.category(e.reject()), 1L, Long::sum);
        return this;
    }

    RejectTally merge(RejectTally o) {
        read += o.read;
        o.reasons.forEach((k, v) -> reasons.merge(k, v, Long::sum));
        return this;
    }

    long rejected() {
        return reasons.values().stream().mapToLong(Long::longValue).sum();
    }

    Map<String, Long> reasons() {
        return java.util.Collections.unmodifiableMap(new TreeMap<>(reasons));
    }
}
