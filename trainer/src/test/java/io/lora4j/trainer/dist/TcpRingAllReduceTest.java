package io.lora4j.trainer.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class TcpRingAllReduceTest {
    private static final RingOptions OPTS = RingOptions.defaults().withFrameBytes(256 << 10).withIoTimeout(Duration.ofSeconds(60));

    /** Integer values in [-1000, 1000]: any summation order gives the exact sum, which the test computes in long. */
    static float value(int rank, long i) {
        return (float) (Math.floorMod(i * 7919L + rank * 104729L, 2001L) - 1000);
    }

    static float[][] integerData(int world, int n) {
        float[][] bufs = new float[world][n];
        for (int r = 0; r < world; r++) for (int i = 0; i < n; i++) bufs[r][i] = value(r, i);
        return bufs;
    }

    static void assertExactSums(float[][] bufs, int world) {
        for (int r = 0; r < world; r++) {
            float[] got = bufs[r];
            for (int i = 0; i < got.length; i++) {
                long sum = 0;
                for (int q = 0; q < world; q++) sum += (long) value(q, i);
                if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits((float) sum)) {
                    fail("rank " + r + " element " + i + " of " + got.length + ": got " + got[i] + ", expected " + sum);
                }
            }
        }
    }

    static void allReduceOnAllRanks(List<TcpRingCommunicator> comms, float[][] bufs) {
        LocalRing.onAllRanks(comms.size(), r -> {
            comms.get(r).allReduceSum(bufs[r]);
            return null;
        });
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {2, 3, 4})
    void sumsAreExactForIntegerDataOfEverySize(int world) {
        List<TcpRingCommunicator> comms = LocalRing.connect(world, OPTS);
        try {
            for (int n : new int[] {1, 7, 1000, (1 << 20) + 3}) {
                float[][] bufs = integerData(world, n);
                allReduceOnAllRanks(comms, bufs);
                assertExactSums(bufs, world);
            }
        } finally {
            LocalRing.closeAll(comms);
        }
    }

    /**
     * The trainer's path: ND4J arrays are sent from and received into their own host memory (no user-space copies).
     * Sizes not divisible by the rank count and frames with ragged tails; a view with an offset into a larger array
     * is summed while the elements around it stay as they were.
     */
    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {2, 3, 4})
    void ndArraysAreSummedInPlaceExactly(int world) {
        // 5000-float frames: two whole blocks of FloatStore.BLOCK and a ragged one per frame, ragged last frames
        List<TcpRingCommunicator> comms = LocalRing.connect(world, OPTS.withFrameBytes(5000 * Float.BYTES));
        try {
            for (int n : new int[] {1, 7, 1000, 100_003}) {
                int before = 5, after = 3;
                float[][] expected = integerData(world, n);
                INDArray[] whole = new INDArray[world];
                INDArray[] views = new INDArray[world];
                for (int r = 0; r < world; r++) {
                    float[] padded = new float[before + n + after];
                    java.util.Arrays.fill(padded, -7f);
                    System.arraycopy(expected[r], 0, padded, before, n);
                    whole[r] = Nd4j.createFromArray(padded);
                    views[r] = whole[r].get(NDArrayIndex.interval(before, before + n));
                }
                LocalRing.onAllRanks(world, r -> {
                    comms.get(r).allReduceSum(views[r]);
                    return null;
                });
                float[][] got = new float[world][];
                for (int r = 0; r < world; r++) {
                    float[] all = whole[r].toFloatVector();
                    got[r] = java.util.Arrays.copyOfRange(all, before, before + n);
                    for (int i = 0; i < before; i++) assertEquals(-7f, all[i], "rank " + r + " element before the view");
                    for (int i = before + n; i < all.length; i++) assertEquals(-7f, all[i], "rank " + r + " element after the view");
                }
                assertExactSums(got, world);
            }
        } finally {
            LocalRing.closeAll(comms);
        }
    }

    @Test
    void manyTinyFramesWithRaggedTails() {
        // 3-float frames: chunks of 333/334 floats become 112 frames each, the last one short
        List<TcpRingCommunicator> comms = LocalRing.connect(3, OPTS.withFrameBytes(12));
        try {
            for (int n : new int[] {0, 1, 2, 7, 1000}) {
                float[][] bufs = integerData(3, n);
                allReduceOnAllRanks(comms, bufs);
                assertExactSums(bufs, 3);
            }
        } finally {
            LocalRing.closeAll(comms);
        }
    }

    @Test
    void sixtyFourMebibytesOnTwoRanks() {
        int n = 16 << 20; // 64 MiB of floats
        List<TcpRingCommunicator> comms = LocalRing.connect(2, RingOptions.defaults().withIoTimeout(Duration.ofSeconds(60)));
        try {
            float[][] bufs = integerData(2, n);
            allReduceOnAllRanks(comms, bufs);
            assertExactSums(bufs, 2);
        } finally {
            LocalRing.closeAll(comms);
        }
    }

    /**
     * Values of mixed magnitudes, where the summation order changes the last bits. Every rank must hold the very same
     * bits, on a second call and on a freshly connected ring too, and those bits must be the ring's documented order:
     * chunk c summed as ((x_c + x_{c+1}) + x_{c+2}) + … around the ring, starting at rank c.
     */
    @Test
    void resultIsBitwiseIdenticalOnEveryRankRunToRunAndFollowsTheRingOrder() {
        int world = 3, n = 100_003;
        float[][] inputs = new float[world][n];
        for (int r = 0; r < world; r++) {
            SplittableRandom rng = new SplittableRandom(1234 + r);
            for (int i = 0; i < n; i++) inputs[r][i] = (float) ((rng.nextDouble() - 0.5) * Math.pow(10, rng.nextInt(-4, 5)));
        }
        ChunkPlan plan = new ChunkPlan(n, world, 1);
        float[] ringOrder = new float[n];
        int orderMatters = 0;
        for (int c = 0; c < world; c++) {
            for (int i = plan.chunkStart(c); i < plan.chunkStart(c + 1); i++) {
                float s = inputs[c][i];
                for (int h = 1; h < world; h++) s = s + inputs[(c + h) % world][i];
                ringOrder[i] = s;
                float sequential = (inputs[0][i] + inputs[1][i]) + inputs[2][i];
                if (Float.floatToRawIntBits(sequential) != Float.floatToRawIntBits(s)) orderMatters++;
            }
        }
        assertTrue(orderMatters > 1000, "the data must be sensitive to summation order, only " + orderMatters + " elements are");

        float[][] first = runOnFreshRing(world, inputs, OPTS.withFrameBytes(4096), 2);
        float[][] second = runOnFreshRing(world, inputs, OPTS, 1);
        for (int r = 0; r < world; r++) {
            assertArrayEquals(ringOrder, first[r], "rank " + r + " (4 KiB frames, second call)");
            assertArrayEquals(ringOrder, second[r], "rank " + r + " (256 KiB frames, fresh ring)");
        }
    }

    /** Connects a ring, all-reduces copies of {@code inputs} {@code calls} times (returning the last), closes it. */
    private static float[][] runOnFreshRing(int world, float[][] inputs, RingOptions opts, int calls) {
        List<TcpRingCommunicator> comms = LocalRing.connect(world, opts);
        try {
            float[][] bufs = new float[world][];
            for (int c = 0; c < calls; c++) {
                for (int r = 0; r < world; r++) bufs[r] = inputs[r].clone();
                allReduceOnAllRanks(comms, bufs);
            }
            return bufs;
        } finally {
            LocalRing.closeAll(comms);
        }
    }

    @Test
    void sliceOfAnArrayLeavesTheRestUntouched() {
        int world = 2, n = 50;
        List<TcpRingCommunicator> comms = LocalRing.connect(world, OPTS.withFrameBytes(16));
        try {
            float[][] bufs = integerData(world, n);
            LocalRing.onAllRanks(world, r -> {
                comms.get(r).allReduceSum(bufs[r], 10, 23);
                return null;
            });
            for (int r = 0; r < world; r++) {
                for (int i = 0; i < n; i++) {
                    float expected = i >= 10 && i < 33 ? value(0, i) + value(1, i) : value(r, i);
                    assertEquals(expected, bufs[r][i], "rank " + r + " element " + i);
                }
            }
        } finally {
            LocalRing.closeAll(comms);
        }
    }

    @Test
    void worldOfOneNeedsNoSocketsAndLeavesDataAlone() {
        try (TcpRingCommunicator c = Rendezvous.bindEphemeral("127.0.0.1").connect(0,
                List.of(new java.net.InetSocketAddress("127.0.0.1", 1)), OPTS)) {
            fail("a peer list that disagrees with the bound port must be refused, got " + c);
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("listens on"), expected.getMessage());
        }
        Rendezvous rv = Rendezvous.bindEphemeral("127.0.0.1");
        try (TcpRingCommunicator c = rv.connect(0, List.of(rv.address()), OPTS)) {
            float[] data = {1.5f, -2f, 3f};
            c.allReduceSum(data);
            assertArrayEquals(new float[] {1.5f, -2f, 3f}, data);
            assertArrayEquals(new long[] {42}, c.allGatherLong(42));
            assertArrayEquals(new byte[] {7}, c.broadcast(0, new byte[] {7}));
            c.barrier();
        }
    }
}
