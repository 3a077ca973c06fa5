package io.lora4j.trainer.dist;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One rank of {@link AllReduceBenchmark} (a separate process). For each size it times, round by round, the ring
 * all-reduce of an ND4J array and of a float[], a plain one-way socket copy of the same bytes from rank 0 to rank 1
 * over a second connection between the same two processes, and a two-way copy (both send the whole buffer at once).
 * Rank 0 prints one {@code ROW} line per size with the median milliseconds. Args: rank world frameBytes sizeMiB,… socketBufferBytes
 */
public final class AllReduceBenchmarkWorker {
    private AllReduceBenchmarkWorker() {}

    public static void main(String[] args) throws Exception {
        int rank = Integer.parseInt(args[0]), world = Integer.parseInt(args[1]), frameBytes = Integer.parseInt(args[2]);
        int socketBufferBytes = Integer.parseInt(args[4]);
        if (world != 2) throw new IllegalArgumentException("the copy baseline needs exactly 2 ranks, got " + world);
        int[] sizes = Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray();
        RingOptions opts = RingOptions.defaults().withFrameBytes(frameBytes).withSocketBufferBytes(socketBufferBytes);
        try (TcpRingCommunicator comm = ProcessGang.join(rank, world, opts, System.out);
             SocketChannel plain = plainConnection(comm)) {
            for (int mib : sizes) {
                int n = (mib << 20) / Float.BYTES;
                int rounds = Math.max(7, Math.min(21, 1000 / mib));
                Timings t = new Timings(comm, plain, n);
                double[][] ms = new double[4][rounds];
                for (int round = -2; round < rounds; round++) { // two warm-up rounds, checked
                    double[] one = {t.allReduceNd4j(round < 0), t.allReduceHeap(round < 0), t.copy(false), t.copy(true)};
                    if (round >= 0) for (int k = 0; k < 4; k++) ms[k][round] = one[k];
                }
                if (rank == 0) {
                    System.out.printf("ROW %d %.3f %.3f %.3f %.3f%n", mib, median(ms[0]), median(ms[1]), median(ms[2]), median(ms[3]));
                }
            }
        }
    }

    /** Rank 1 listens, tells rank 0 where through the ring's own broadcast, and rank 0 connects. */
    private static SocketChannel plainConnection(Communicator comm) throws IOException {
        if (comm.rank() == 1) {
            try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
                comm.broadcast(1, Rendezvous.format((InetSocketAddress) server.getLocalAddress()).getBytes(StandardCharsets.UTF_8));
                return server.accept();
            }
        }
        String at = new String(comm.broadcast(1, null), StandardCharsets.UTF_8);
        return SocketChannel.open(Rendezvous.parse(at));
    }

    /**
     * One round of each measurement on buffers of n floats; every round of every kind starts from a barrier, so the
     * kinds are interleaved in time and a noisy neighbour slows them alike.
     */
    private static final class Timings {
        private final Communicator comm;
        private final SocketChannel plain;
        private final INDArray nd4j;
        private final float[] heap;
        private final ByteBuffer send, receive, ack = ByteBuffer.allocateDirect(1);
        private final float expected;

        Timings(Communicator comm, SocketChannel plain, int n) {
            this.comm = comm;
            this.plain = plain;
            this.nd4j = Nd4j.create(DataType.FLOAT, n);
            this.heap = new float[n];
            this.send = ByteBuffer.allocateDirect(n * Float.BYTES);
            this.receive = ByteBuffer.allocateDirect(n * Float.BYTES);
            this.expected = comm.worldSize() * (comm.worldSize() + 1) / 2f;
        }

        /** The trainer's path: an ND4J FLOAT array, sent from and received into its own memory. */
        double allReduceNd4j(boolean check) {
            nd4j.assign(comm.rank() + 1);
            comm.barrier();
            long t0 = System.nanoTime();
            comm.allReduceSum(nd4j);
            long t1 = System.nanoTime();
            if (check) {
                double min = nd4j.minNumber().doubleValue(), max = nd4j.maxNumber().doubleValue();
                if (min != expected || max != expected) {
                    throw new IllegalStateException("all-reduce wrong: values in [" + min + ", " + max + "], expected " + expected);
                }
            }
            return (t1 - t0) / 1e6;
        }

        /** A float[] on the Java heap, which goes through the frame buffers. */
        double allReduceHeap(boolean check) {
            Arrays.fill(heap, comm.rank() + 1);
            comm.barrier();
            long t0 = System.nanoTime();
            comm.allReduceSum(heap);
            long t1 = System.nanoTime();
            if (check) {
                for (int i = 0; i < heap.length; i++) {
                    if (heap[i] != expected) throw new IllegalStateException("all-reduce wrong at " + i + ": " + heap[i] + " != " + expected);
                }
            }
            return (t1 - t0) / 1e6;
        }

        /** Rank 0 → rank 1 (one-way) or both at once (two-way) over the plain connection, until the last byte arrived. */
        double copy(boolean duplex) {
            comm.barrier();
            long t0 = System.nanoTime();
            if (duplex) {
                Thread sender = new Thread(() -> writeAll(plain, send.clear()));
                sender.start();
                readAll(plain, receive.clear());
                try {
                    sender.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            } else if (comm.rank() == 0) {
                writeAll(plain, send.clear());
            } else {
                readAll(plain, receive.clear());
            }
            // one byte back and forth so that rank 0's time covers the last byte's arrival on both sides
            if (comm.rank() == 1) writeAll(plain, ack.clear());
            readAllOrAck(plain, ack, comm.rank());
            return (System.nanoTime() - t0) / 1e6;
        }
    }

    private static void readAllOrAck(SocketChannel ch, ByteBuffer ack, int rank) {
        if (rank == 0) {
            readAll(ch, ack.clear());
            writeAll(ch, ack.clear());
        } else {
            readAll(ch, ack.clear());
        }
    }

    private static void writeAll(SocketChannel ch, ByteBuffer b) {
        try {
            while (b.hasRemaining()) ch.write(b);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void readAll(SocketChannel ch, ByteBuffer b) {
        try {
            while (b.hasRemaining()) {
                if (ch.read(b) < 0) throw new IOException("peer closed the copy connection");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
