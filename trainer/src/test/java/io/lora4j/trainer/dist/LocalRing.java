package io.lora4j.trainer.dist;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

/** Test helper: a ring of threads in this JVM, each rank with its own real loopback sockets. */
final class LocalRing {
    interface RankBody<T> {
        T run(int rank) throws Exception;
    }

    private LocalRing() {}

    static List<TcpRingCommunicator> connect(int world, RingOptions opts) {
        return connect(world, r -> opts);
    }

    static List<TcpRingCommunicator> connect(int world, IntFunction<RingOptions> optsOfRank) {
        List<Rendezvous> listeners = new ArrayList<>();
        List<InetSocketAddress> peers = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            Rendezvous rv = Rendezvous.bindEphemeral("127.0.0.1");
            listeners.add(rv);
            peers.add(Rendezvous.parse(rv.addressString())); // the round trip the gang makes through allGather
        }
        return onAllRanks(world, r -> listeners.get(r).connect(r, peers, optsOfRank.apply(r)));
    }

    /** Runs {@code body} for every rank on its own thread; returns the results by rank or rethrows the first failure. */
    static <T> List<T> onAllRanks(int world, RankBody<T> body) {
        List<Outcome<T>> outcomes = tryOnAllRanks(world, body);
        List<T> results = new ArrayList<>();
        for (Outcome<T> o : outcomes) {
            if (o.error() != null) throw new AssertionError("rank " + o.rank() + " failed: " + o.error(), o.error());
            results.add(o.value());
        }
        return results;
    }

    record Outcome<T>(int rank, T value, Throwable error, long nanos) {}

    /** As {@link #onAllRanks} but reports each rank's result or failure and how long it took (never waits > 120 s). */
    static <T> List<Outcome<T>> tryOnAllRanks(int world, RankBody<T> body) {
        ExecutorService pool = Executors.newFixedThreadPool(world);
        try {
            List<Future<Outcome<T>>> futures = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    long t0 = System.nanoTime();
                    try {
                        return new Outcome<>(rank, body.run(rank), null, System.nanoTime() - t0);
                    } catch (Throwable t) {
                        return new Outcome<>(rank, null, t, System.nanoTime() - t0);
                    }
                }));
            }
            List<Outcome<T>> out = new ArrayList<>();
            for (Future<Outcome<T>> f : futures) out.add(f.get(120, TimeUnit.SECONDS));
            return out;
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("ranks did not finish: " + e, e);
        } finally {
            pool.shutdownNow();
        }
    }

    static void closeAll(List<? extends Communicator> comms) {
        for (Communicator c : comms) c.close();
    }
}
