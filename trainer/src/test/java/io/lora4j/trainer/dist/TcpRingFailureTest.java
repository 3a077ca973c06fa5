package io.lora4j.trainer.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Every failure must surface as an exception naming the responsible peer, within bounded time, never as a hang. */
class TcpRingFailureTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    private static void assertNames(CommunicatorException e, TcpRingCommunicator culprit, List<TcpRingCommunicator> comms, int culpritRank) {
        assertEquals(culpritRank, e.peerRank(), e.getMessage());
        assertTrue(e.getMessage().contains("rank " + culpritRank + " (127.0.0.1:"), e.getMessage());
        assertNotNull(e.peerAddress());
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    @Test
    void aPeerThatConnectsButNeverSendsTimesOutNamingThatPeer() {
        List<TcpRingCommunicator> comms = LocalRing.connect(2, RingOptions.defaults().withIoTimeout(TIMEOUT));
        try {
            long t0 = System.nanoTime();
            CommunicatorTimeoutException e = assertThrows(CommunicatorTimeoutException.class, () -> comms.get(0).allReduceSum(new float[10]));
            double took = seconds(System.nanoTime() - t0);
            assertNames(e, comms.get(1), comms, 1);
            assertTrue(took >= 0.9 && took < 5, "timed out after " + took + " s, configured 1 s");
            // the failure breaks rank 0 for good
            CommunicatorException again = assertThrows(CommunicatorException.class, () -> comms.get(0).barrier());
            assertTrue(again.getMessage().contains("broken"), again.getMessage());
        } finally {
            LocalRing.closeAll(comms);
        }
    }

    @Test
    void aPeerThatStopsReadingALargeBufferTimesOutNamingTheRightPeer() {
        // rank 2 never calls: rank 0 (whose left neighbour it is) waits on it, and rank 1's 64 MiB send to it stalls
        List<TcpRingCommunicator> comms = LocalRing.connect(3, RingOptions.defaults().withIoTimeout(TIMEOUT));
        try {
            CountDownLatch done = new CountDownLatch(2);
            List<LocalRing.Outcome<Object>> out = LocalRing.tryOnAllRanks(3, r -> {
                if (r == 2) {
                    done.await(30, TimeUnit.SECONDS); // connected, silent
                    return null;
                }
                try {
                    comms.get(r).allReduceSum(new float[16 << 20]);
                    return null;
                } finally {
                    done.countDown();
                }
            });
            CommunicatorException e0 = assertInstanceOf(CommunicatorTimeoutException.class, out.get(0).error());
            assertNames(e0, comms.get(2), comms, 2);
            assertTrue(seconds(out.get(0).nanos()) < 5, "rank 0 took " + seconds(out.get(0).nanos()) + " s");
            // rank 1 fails too: either its own send to rank 2 stalls, or rank 0 hangs up on it after failing
            CommunicatorException e1 = assertInstanceOf(CommunicatorException.class, out.get(1).error());
            assertTrue(e1.peerRank() == 2 || e1.peerRank() == 0, e1.getMessage());
            assertTrue(seconds(out.get(1).nanos()) < 5, "rank 1 took " + seconds(out.get(1).nanos()) + " s");
        } finally {
            LocalRing.closeAll(comms);
        }
    }

    @Test
    void aCorruptedPayloadIsCaughtByTheCrcAndTheSenderFailsFastToo() {
        AtomicInteger frames = new AtomicInteger();
        FrameTap flipOnePayloadBit = (header, headerBytes, payload) -> {
            if (frames.incrementAndGet() == 3) payload.put(100, (byte) (payload.get(100) ^ 0x10));
        };
        // a long timeout: rank 0 must fail because rank 1 hangs up on it, not because something timed out
        RingOptions base = RingOptions.defaults().withFrameBytes(4096).withIoTimeout(Duration.ofSeconds(30));
        List<TcpRingCommunicator> comms = LocalRing.connect(2, r -> r == 0 ? base.withSendTap(flipOnePayloadBit) : base);
        try {
            List<LocalRing.Outcome<Object>> out = LocalRing.tryOnAllRanks(2, r -> {
                comms.get(r).allReduceSum(new float[10_000]);
                return null;
            });
            CorruptFrameException e = assertInstanceOf(CorruptFrameException.class, out.get(1).error());
            assertNames(e, comms.get(0), comms, 0);
            assertTrue(e.getMessage().contains("CRC-32C"), e.getMessage());
            assertTrue(e.getMessage().contains("ALL_REDUCE #1 step 0 chunk 0 frame 2"), e.getMessage());
            CommunicatorException e0 = assertInstanceOf(CommunicatorException.class, out.get(0).error());
            assertEquals(1, e0.peerRank(), e0.getMessage());
            assertTrue(seconds(out.get(0).nanos()) < 10, "rank 0 took " + seconds(out.get(0).nanos()) + " s");
        } finally {
            LocalRing.closeAll(comms);
        }
    }

    /** In the all-gather half an ND4J array is received straight into its memory: the CRC is still checked there. */
    @Test
    void aCorruptedFrameReceivedStraightIntoAnNdArrayIsCaught() {
        FrameTap flipABitOfTheFirstGatherFrame = (header, headerBytes, payload) -> {
            if (header.step() == 1 && header.frame() == 0) payload.put(8, (byte) (payload.get(8) ^ 0x01));
        };
        RingOptions base = RingOptions.defaults().withFrameBytes(4096).withIoTimeout(Duration.ofSeconds(30));
        List<TcpRingCommunicator> comms = LocalRing.connect(2, r -> r == 0 ? base.withSendTap(flipABitOfTheFirstGatherFrame) : base);
        try {
            List<LocalRing.Outcome<Object>> out = LocalRing.tryOnAllRanks(2, r -> {
                comms.get(r).allReduceSum(org.nd4j.linalg.factory.Nd4j.ones(org.nd4j.linalg.api.buffer.DataType.FLOAT, 10_000));
                return null;
            });
            CorruptFrameException e = assertInstanceOf(CorruptFrameException.class, out.get(1).error());
            assertNames(e, comms.get(0), comms, 0);
            assertTrue(e.getMessage().contains("CRC-32C"), e.getMessage());
            assertTrue(e.getMessage().contains("ALL_REDUCE #1 step 1 chunk 1 frame 0"), e.getMessage());
        } finally {
            LocalRing.closeAll(comms);
        }
    }

    @Test
    void aCorruptedHeaderIsCaughtByTheCrcNotMistakenForAnotherFrame() {
        FrameTap changeChunkId = (header, headerBytes, payload) -> headerBytes.putInt(24, header.chunk() + 1);
        RingOptions base = RingOptions.defaults().withIoTimeout(Duration.ofSeconds(30));
        List<TcpRingCommunicator> comms = LocalRing.connect(2, r -> r == 1 ? base.withSendTap(changeChunkId) : base);
        try {
            List<LocalRing.Outcome<Object>> out = LocalRing.tryOnAllRanks(2, r -> {
                comms.get(r).allReduceSum(new float[100]);
                return null;
            });
            CorruptFrameException e = assertInstanceOf(CorruptFrameException.class, out.get(0).error());
            assertNames(e, comms.get(1), comms, 1);
        } finally {
            LocalRing.closeAll(comms);
        }
    }

    @Test
    void ranksCallingDifferentCollectivesOrLengthsFailWithAClearMessage() {
        RingOptions opts = RingOptions.defaults().withIoTimeout(Duration.ofSeconds(30));
        List<TcpRingCommunicator> comms = LocalRing.connect(2, opts);
        try {
            List<LocalRing.Outcome<Object>> out = LocalRing.tryOnAllRanks(2, r -> {
                comms.get(r).allReduceSum(new float[r == 0 ? 10 : 11]);
                return null;
            });
            for (LocalRing.Outcome<Object> o : out) {
                CommunicatorException e = assertInstanceOf(CommunicatorException.class, o.error());
                assertTrue(e.getMessage().contains("not calling the same collectives"), e.getMessage());
            }
        } finally {
            LocalRing.closeAll(comms);
        }
        List<TcpRingCommunicator> again = LocalRing.connect(2, opts);
        try {
            List<LocalRing.Outcome<Object>> out = LocalRing.tryOnAllRanks(2, r -> {
                if (r == 0) again.get(r).barrier();
                else again.get(r).allReduceSum(new float[5]);
                return null;
            });
            // both ranks fail; which one notices the mismatch first is a race (the other may see the connection close
            // first), but one of them names both collectives
            String m0 = assertInstanceOf(CommunicatorException.class, out.get(0).error()).getMessage();
            String m1 = assertInstanceOf(CommunicatorException.class, out.get(1).error()).getMessage();
            boolean named = (m0.contains("expected ALL_GATHER #1") && m0.contains("received ALL_REDUCE #1"))
                    || (m1.contains("expected ALL_REDUCE #1") && m1.contains("received ALL_GATHER #1"));
            assertTrue(named, "rank 0: " + m0 + "\nrank 1: " + m1);
        } finally {
            LocalRing.closeAll(again);
        }
    }

    @Test
    void closingAPeerMidCollectiveFailsItsNeighbourAtOnceNotAtTheTimeout() {
        List<TcpRingCommunicator> comms = LocalRing.connect(2, RingOptions.defaults().withIoTimeout(Duration.ofSeconds(30)));
        try {
            List<LocalRing.Outcome<Object>> out = LocalRing.tryOnAllRanks(2, r -> {
                if (r == 1) {
                    Thread.sleep(200);
                    comms.get(1).close();
                    return null;
                }
                comms.get(0).allReduceSum(new float[1000]);
                return null;
            });
            CommunicatorException e = assertInstanceOf(CommunicatorException.class, out.get(0).error());
            assertNames(e, comms.get(1), comms, 1);
            assertTrue(e.getMessage().contains("closed the connection") || e.getMessage().contains("failed"), e.getMessage());
            assertTrue(seconds(out.get(0).nanos()) < 5, "took " + seconds(out.get(0).nanos()) + " s");
            assertNull(out.get(1).error());
            assertThrows(IllegalStateException.class, () -> comms.get(1).allGatherLong(1));
            comms.get(1).close(); // idempotent
        } finally {
            LocalRing.closeAll(comms);
        }
    }

    @Test
    void aNeighbourThatNeverAnswersTheHandshakeTimesOutWithinTheConnectTimeout() throws Exception {
        // "rank 1" is a socket that accepts TCP connections (kernel backlog) but never speaks the ring protocol
        try (ServerSocket mute = new ServerSocket(0, 4, java.net.InetAddress.getByName("127.0.0.1"))) {
            Rendezvous rv = Rendezvous.bindEphemeral("127.0.0.1");
            InetSocketAddress muteAddress = new InetSocketAddress("127.0.0.1", mute.getLocalPort());
            RingOptions opts = RingOptions.defaults().withConnectTimeout(Duration.ofSeconds(1));
            long t0 = System.nanoTime();
            CommunicatorTimeoutException e = assertThrows(CommunicatorTimeoutException.class,
                    () -> rv.connect(0, List.of(rv.address(), muteAddress), opts));
            double took = seconds(System.nanoTime() - t0);
            assertEquals(1, e.peerRank());
            assertTrue(e.getMessage().contains("rank 1 (127.0.0.1:" + mute.getLocalPort() + ")"), e.getMessage());
            assertTrue(took >= 0.9 && took < 5, "took " + took + " s");
        }
    }

    @Test
    void aRankOfAnotherSessionIsRefused() {
        RingOptions opts = RingOptions.defaults().withConnectTimeout(Duration.ofSeconds(2));
        List<LocalRing.Outcome<TcpRingCommunicator>> out;
        List<Rendezvous> rvs = List.of(Rendezvous.bindEphemeral("127.0.0.1"), Rendezvous.bindEphemeral("127.0.0.1"));
        List<InetSocketAddress> peers = List.of(rvs.get(0).address(), rvs.get(1).address());
        out = LocalRing.tryOnAllRanks(2, r -> rvs.get(r).connect(r, peers, opts.withSessionId(r == 0 ? 7 : 8)));
        for (LocalRing.Outcome<TcpRingCommunicator> o : out) {
            if (o.value() != null) o.value().close();
            assertInstanceOf(CommunicatorException.class, o.error(), "rank " + o.rank() + " must not join a foreign ring");
        }
        String messages = out.get(0).error().getMessage() + " | " + out.get(1).error().getMessage();
        assertTrue(messages.contains("another session"), messages);
    }

    private static boolean closedByPeer(java.net.Socket s) throws java.io.IOException {
        s.setSoTimeout(5_000);
        try {
            return s.getInputStream().read() == -1;
        } catch (java.net.SocketException reset) { // closed with our unread request bytes pending: RST
            return true;
        }
    }

    @Test
    void aStrayConnectionToTheListenerIsDroppedAndTheRingStillForms() throws Exception {
        List<Rendezvous> rvs = List.of(Rendezvous.bindEphemeral("127.0.0.1"), Rendezvous.bindEphemeral("127.0.0.1"));
        List<InetSocketAddress> peers = List.of(rvs.get(0).address(), rvs.get(1).address());
        try (java.net.Socket stray = new java.net.Socket("127.0.0.1", peers.get(0).getPort())) {
            stray.getOutputStream().write("GET / HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            stray.getOutputStream().flush();
            RingOptions opts = RingOptions.defaults().withConnectTimeout(Duration.ofSeconds(20));
            List<TcpRingCommunicator> comms = LocalRing.onAllRanks(2, r -> rvs.get(r).connect(r, peers, opts));
            try {
                List<long[]> got = LocalRing.onAllRanks(2, r -> comms.get(r).allGatherLong(5 + r));
                assertEquals(List.of(5L, 6L), java.util.Arrays.stream(got.get(0)).boxed().toList());
                assertTrue(closedByPeer(stray), "the stray connection must have been closed");
            } finally {
                LocalRing.closeAll(comms);
            }
        }
    }
}
