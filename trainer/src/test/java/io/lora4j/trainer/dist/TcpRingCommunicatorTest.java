package io.lora4j.trainer.dist;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The ring all-reduce with real sockets, ranks as threads of one JVM. */
class TcpRingCommunicatorTest {

    interface RankBody {
        Object run(TcpRingCommunicator c) throws Exception;
    }

    static List<Object> gang(int n, TcpRingCommunicator.Options opts, RankBody body) throws Exception {
        List<ServerSocket> servers = new ArrayList<>();
        List<InetSocketAddress> addrs = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            ServerSocket s = TcpRingCommunicator.bind("127.0.0.1");
            servers.add(s);
            addrs.add(new InetSocketAddress("127.0.0.1", s.getLocalPort()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Object>> f = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                f.add(pool.submit(() -> {
                    try (TcpRingCommunicator c = TcpRingCommunicator.connect(rank, addrs, servers.get(rank), opts)) {
                        return body.run(c);
                    }
                }));
            }
            List<Object> out = new ArrayList<>();
            for (Future<Object> x : f) out.add(x.get());
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void sumsAreExactAndIdenticalOnEveryRank() throws Exception {
        for (int n = 2; n <= 4; n++) {
            for (int size : new int[] {1, 7, 1000, (1 << 20) + 3}) {
                int ranks = n;
                List<Object> results = gang(n, new TcpRingCommunicator.Options(10_000, 1 << 16), c -> {
                    float[] buf = new float[size];
                    for (int i = 0; i < size; i++) buf[i] = (i % 1000) * (c.rank() + 1) - 7 * c.rank();
                    c.allReduceSum(buf);
                    return buf;
                });
                float[] first = (float[]) results.get(0);
                int sumRanks = ranks * (ranks + 1) / 2, sumR = ranks * (ranks - 1) / 2;
                for (int i = 0; i < size; i++) assertEquals((i % 1000) * sumRanks - 7 * sumR, first[i], 0f, "n=" + n + " size=" + size + " i=" + i);
                for (Object o : results) assertArrayEquals(first, (float[]) o, 0f);
            }
        }
    }

    @Test
    void sixtyFourMebibytesWithTwoRanks() throws Exception {
        int size = 16 << 20; // 64 MiB of floats
        List<Object> results = gang(2, TcpRingCommunicator.Options.defaults(), c -> {
            float[] buf = new float[size];
            java.util.Arrays.fill(buf, c.rank() + 1);
            c.allReduceSum(buf);
            for (float v : buf) if (v != 3f) return false;
            return true;
        });
        assertEquals(List.of(true, true), results);
    }

    @Test
    void allGatherReturnsEveryRanksValue() throws Exception {
        List<Object> r = gang(3, TcpRingCommunicator.Options.defaults(), c -> c.allGather(0x1234_5678_9ABCL * (c.rank() + 1)));
        for (Object o : r) assertArrayEquals(new long[] {0x1234_5678_9ABCL, 0x1234_5678_9ABCL * 2, 0x1234_5678_9ABCL * 3}, (long[]) o);
    }

    @Test
    void aPeerThatStopsAnsweringTimesOutNamingIt() throws Exception {
        long t0 = System.currentTimeMillis();
        List<Object> r = gang(2, new TcpRingCommunicator.Options(1500, 1 << 16), c -> {
            if (c.rank() == 1) {
                Thread.sleep(4000); // hung worker: connected, never sends
                return "slept";
            }
            try {
                c.allReduceSum(new float[100]);
                return "no timeout";
            } catch (CommunicatorTimeoutException e) {
                return e.getMessage();
            }
        });
        String msg = (String) r.get(0);
        assertTrue(msg.contains("rank 1") && msg.contains("127.0.0.1"), msg);
        assertTrue(System.currentTimeMillis() - t0 < 10_000);
    }

    @Test
    void aCorruptedFrameIsDetected() throws Exception {
        List<Object> r = gang(2, new TcpRingCommunicator.Options(5000, 1 << 16), c -> {
            if (c.rank() == 0) c.corruptNextFrame = true;
            try {
                c.allReduceSum(new float[1000]);
                return "ok";
            } catch (IOException e) {
                return e.getMessage();
            }
        });
        assertTrue(r.toString().contains("checksum mismatch in a frame from rank 0"), r.toString());
    }
}
