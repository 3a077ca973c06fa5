package io.lora4j.trainer.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The NCCL collective's wait, with the GPU calls replaced by counters: it ends on completion, error or deadline. */
class CollectiveWatchTest {
    @Test
    void returnsOnceTheCollectiveCompletesWithoutAborting() {
        AtomicInteger polls = new AtomicInteger(), aborts = new AtomicInteger();
        CollectiveWatch.await("all-reduce", 0, Duration.ofSeconds(10), () -> polls.incrementAndGet() >= 5, () -> 0,
                code -> "?", aborts::incrementAndGet);
        assertEquals(5, polls.get());
        assertEquals(0, aborts.get());
    }

    @Test
    void anAsynchronousErrorAbortsAndNamesTheError() {
        AtomicInteger aborts = new AtomicInteger();
        CommunicatorException e = assertThrows(CommunicatorException.class, () -> CollectiveWatch.await("NCCL all-reduce", 1,
                Duration.ofSeconds(10), () -> false, () -> 6, code -> "remote process exited or there was a network error", aborts::incrementAndGet));
        assertEquals(1, aborts.get());
        assertTrue(e.getMessage().contains("rank 1") && e.getMessage().contains("remote process exited") && e.getMessage().contains("error 6"),
                e.getMessage());
    }

    @Test
    void aCollectiveThatNeverEndsTimesOutAndAborts() {
        AtomicInteger aborts = new AtomicInteger();
        long t0 = System.nanoTime();
        CommunicatorException e = assertThrows(CommunicatorException.class, () -> CollectiveWatch.await("NCCL all-reduce", 0,
                Duration.ofMillis(200), () -> false, () -> 0, code -> "?", aborts::incrementAndGet));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertInstanceOf(CommunicatorTimeoutException.class, e);
        assertEquals(1, aborts.get());
        assertTrue(e.getMessage().contains("within 200 ms"), e.getMessage());
        assertTrue(seconds >= 0.2 && seconds < 5, "gave up after " + seconds + " s");
    }
}
