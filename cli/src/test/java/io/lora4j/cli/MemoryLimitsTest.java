package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Running out of memory names the limit and the setting to raise, not a JavaCPP trace. */
class MemoryLimitsTest {
    @Test
    void namesTheLimitAndTheSetting() {
        String heap = Lora4j.describe(new OutOfMemoryError("Java heap space"));
        assertTrue(heap.contains("JVM heap") && heap.contains("LORA4J_HEAP"), heap);
        // what JavaCPP throws when an ND4J allocation would pass its limit (wrapped, as ND4J rethrows it)
        String off = Lora4j.describe(new RuntimeException("ND4J failed", new OutOfMemoryError(
                "Cannot allocate new LongPointer(1): totalBytes = 31G, physicalBytes = 30G")));
        assertTrue(off.contains("off-heap") && off.contains("LORA4J_OFFHEAP") && off.contains("totalBytes = 31G"), off);
        assertEquals("no such file", Lora4j.describe(new IllegalArgumentException("no such file")));
    }
}
