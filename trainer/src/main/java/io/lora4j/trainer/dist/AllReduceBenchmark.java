package io.lora4j.trainer.dist;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code lora4j bench allreduce}: ms per ring all-reduce of 1–200 MiB between two ranks on loopback, beside a plain
 * socket copy of the same bytes in both directions at once (what the ring moves per step), and the ratio.
 * Both ranks run as threads of this JVM.
 */
public final class AllReduceBenchmark {
    private AllReduceBenchmark() {}

    public static void run(PrintStream out) throws Exception {
        out.println("lora4j bench allreduce — 2 ranks on loopback (threads of one JVM)");
        out.println("| MiB | all-reduce ms | algorithm GB/s | plain duplex copy ms | copy GB/s | all-reduce / copy bandwidth |");
        out.println("|---|---|---|---|---|---|");
        for (int mib : new int[] {1, 10, 50, 200}) {
            int floats = mib << 18;
            double ar = allReduceMs(floats), copy = copyMs(floats);
            double bytes = floats * 4.0;
            out.printf("| %d | %.1f | %.2f | %.1f | %.2f | %.0f%% |%n", mib, ar, bytes / ar / 1e6, copy, bytes / copy / 1e6, 100 * copy / ar);
        }
    }

    static double allReduceMs(int floats) throws Exception {
        List<ServerSocket> servers = List.of(TcpRingCommunicator.bind("127.0.0.1"), TcpRingCommunicator.bind("127.0.0.1"));
        List<InetSocketAddress> addrs = new ArrayList<>();
        for (ServerSocket s : servers) addrs.add(new InetSocketAddress("127.0.0.1", s.getLocalPort()));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Double>> f = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                f.add(pool.submit(() -> {
                    try (TcpRingCommunicator c = TcpRingCommunicator.connect(rank, addrs, servers.get(rank), TcpRingCommunicator.Options.defaults())) {
                        float[] buf = new float[floats];
                        c.allReduceSum(buf); // warm-up
                        double best = Double.MAX_VALUE;
                        for (int i = 0; i < 3; i++) {
                            long t0 = System.nanoTime();
                            c.allReduceSum(buf);
                            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
                        }
                        return best;
                    }
                }));
            }
            return Math.max(f.get(0).get(), f.get(1).get());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Both sides send the buffer to each other at once over one connection pair, as the ring does. */
    static double copyMs(int floats) throws Exception {
        byte[] data = new byte[floats * 4];
        try (ServerSocket server = new ServerSocket(0)) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                Future<Socket> accepted = pool.submit(server::accept);
                Socket a = new Socket("127.0.0.1", server.getLocalPort());
                Socket b = accepted.get();
                double best = Double.MAX_VALUE;
                for (int i = 0; i < 4; i++) {
                    long t0 = System.nanoTime();
                    Future<?> s1 = pool.submit(() -> { new DataOutputStream(a.getOutputStream()).write(data); return null; });
                    Future<?> s2 = pool.submit(() -> { new DataOutputStream(b.getOutputStream()).write(data); return null; });
                    Future<?> r1 = pool.submit(() -> { new DataInputStream(a.getInputStream()).readFully(new byte[data.length]); return null; });
                    new DataInputStream(b.getInputStream()).readFully(new byte[data.length]);
                    s1.get();
                    s2.get();
                    r1.get();
                    if (i > 0) best = Math.min(best, (System.nanoTime() - t0) / 1e6);
                }
                a.close();
                b.close();
                return best;
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
