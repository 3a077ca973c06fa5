package io.lora4j.trainer.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Control messages and the buffer-type entry points, on one 3-rank ring shared by the tests of this class. */
class TcpRingControlTest {
    private static final int WORLD = 3;
    private static List<TcpRingCommunicator> comms;

    @BeforeAll
    static void connect() {
        comms = LocalRing.connect(WORLD, RingOptions.defaults().withFrameBytes(64).withIoTimeout(Duration.ofSeconds(60)));
    }

    @AfterAll
    static void close() {
        LocalRing.closeAll(comms);
    }

    @Test
    void allGatherLongReturnsEveryRanksValueInRankOrder() {
        List<long[]> got = LocalRing.onAllRanks(WORLD, r -> comms.get(r).allGatherLong(1_000_000_000_000L * (r + 1) - r));
        for (long[] g : got) assertArrayEquals(new long[] {1_000_000_000_000L, 1_999_999_999_999L, 2_999_999_999_998L}, g);
    }

    @Test
    void allGatherCarriesMessagesOfDifferentLengthsIncludingEmpty() {
        List<byte[][]> got = LocalRing.onAllRanks(WORLD, r -> comms.get(r).allGather(("x".repeat(r * 3)).getBytes(StandardCharsets.UTF_8)));
        for (byte[][] g : got) {
            assertEquals(WORLD, g.length);
            for (int q = 0; q < WORLD; q++) assertEquals("x".repeat(q * 3), new String(g[q], StandardCharsets.UTF_8));
        }
    }

    @Test
    void broadcastDeliversTheRootsMessageFromEveryRoot() {
        for (int root = 0; root < WORLD; root++) {
            int from = root;
            List<byte[]> got = LocalRing.onAllRanks(WORLD, r ->
                    comms.get(r).broadcast(from, r == from ? ("adapter from " + from).getBytes(StandardCharsets.UTF_8) : null));
            for (byte[] g : got) assertEquals("adapter from " + root, new String(g, StandardCharsets.UTF_8));
        }
    }

    @Test
    void barrierHoldsEveryRankUntilTheLastOneArrives() {
        long[] entered = new long[WORLD];
        List<Long> left = LocalRing.onAllRanks(WORLD, r -> {
            if (r == 2) Thread.sleep(300);
            entered[r] = System.nanoTime();
            comms.get(r).barrier();
            return System.nanoTime();
        });
        for (int r = 0; r < WORLD; r++) {
            assertTrue(left.get(r) >= entered[2], "rank " + r + " left the barrier before rank 2 entered it");
        }
    }

    @Test
    void directFloatBufferBetweenPositionAndLimitIsReducedInPlace() {
        int n = 40;
        FloatBuffer[] bufs = new FloatBuffer[WORLD];
        for (int r = 0; r < WORLD; r++) {
            bufs[r] = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
            for (int i = 0; i < n; i++) bufs[r].put(i, TcpRingAllReduceTest.value(r, i));
            bufs[r].position(3).limit(n - 2);
        }
        LocalRing.onAllRanks(WORLD, r -> {
            comms.get(r).allReduceSum(bufs[r]);
            return null;
        });
        for (int r = 0; r < WORLD; r++) {
            assertEquals(3, bufs[r].position(), "position untouched");
            assertEquals(n - 2, bufs[r].limit(), "limit untouched");
            FloatBuffer all = bufs[r].duplicate().clear();
            for (int i = 0; i < n; i++) {
                float expected = i >= 3 && i < n - 2 ? sumOverRanks(i) : TcpRingAllReduceTest.value(r, i);
                assertEquals(expected, all.get(i), "rank " + r + " element " + i);
            }
        }
    }

    @Test
    void indArrayViewIsReducedInItsOwnHostBuffer() {
        int n = 30;
        INDArray[] bases = new INDArray[WORLD];
        for (int r = 0; r < WORLD; r++) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = TcpRingAllReduceTest.value(r, i);
            bases[r] = Nd4j.createFromArray(v);
        }
        LocalRing.onAllRanks(WORLD, r -> {
            comms.get(r).allReduceSum(bases[r].get(NDArrayIndex.interval(5, 25))); // a view at offset 5
            return null;
        });
        for (int r = 0; r < WORLD; r++) {
            for (int i = 0; i < n; i++) {
                float expected = i >= 5 && i < 25 ? sumOverRanks(i) : TcpRingAllReduceTest.value(r, i);
                assertEquals(expected, bases[r].getFloat(i), "rank " + r + " element " + i);
            }
        }
    }

    @Test
    void indArrayOfAnotherTypeOrLayoutIsRefusedBeforeAnythingIsSent() {
        TcpRingCommunicator c = comms.get(0);
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> c.allReduceSum(Nd4j.zeros(DataType.DOUBLE, 4)));
        assertTrue(type.getMessage().contains("FLOAT"), type.getMessage());
        INDArray column = Nd4j.zeros(DataType.FLOAT, 4, 3).getColumn(1);
        IllegalArgumentException layout = assertThrows(IllegalArgumentException.class, () -> c.allReduceSum(column));
        assertTrue(layout.getMessage().contains("contiguous"), layout.getMessage());
        // nothing was sent: the ring still works
        List<long[]> got = LocalRing.onAllRanks(WORLD, r -> comms.get(r).allGatherLong(r));
        assertArrayEquals(new long[] {0, 1, 2}, got.get(0));
    }

    @Test
    void oversizedControlMessageIsRefusedLocally() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> comms.get(1).allGather(new byte[(16 << 20) + 1]));
        assertTrue(e.getMessage().contains("maxControlBytes"), e.getMessage());
    }

    private static float sumOverRanks(int i) {
        float s = 0;
        for (int q = 0; q < WORLD; q++) s += TcpRingAllReduceTest.value(q, i);
        return s;
    }

    @Test
    void localCommunicatorIsTheIdentity() {
        try (LocalCommunicator c = new LocalCommunicator()) {
            float[] data = {1f, 2f};
            c.allReduceSum(data);
            assertArrayEquals(new float[] {1f, 2f}, data);
            INDArray a = Nd4j.createFromArray(3f, 4f);
            c.allReduceSum(a);
            assertEquals(3f, a.getFloat(0));
            assertArrayEquals(new long[] {9}, c.allGatherLong(9));
            byte[][] all = c.allGather(new byte[] {1, 2});
            assertNotNull(all[0]);
            assertArrayEquals(new byte[] {1, 2}, all[0]);
            assertInstanceOf(IllegalArgumentException.class, assertThrows(RuntimeException.class, () -> c.broadcast(1, new byte[0])));
            c.close();
            assertThrows(IllegalStateException.class, c::barrier);
        }
    }
}
