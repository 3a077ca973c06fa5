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
 * One rank of {@link AllReduceBenchmark} (a separate process). For each size it times the ring all-reduce, a plain
 * one-way socket copy of the same bytes from rank 0 to rank 1 over a second connection between the same two
 * processes, and a two-way copy (both send the whole buffer at once). Rank 0 prints one {@code ROW} line per size
 * with the median milliseconds. Args: rank world frameBytes sizeMiB,… socketBufferBytes
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
                int iterations = Math.max(3, Math.min(20, 200 / mib));
                double allReduce = timeAllReduce(comm, n, iterations);
                ByteBuffer send = ByteBuffer.allocateDirect(n * Float.BYTES), receive = ByteBuffer.allocateDirect(n * Float.BYTES);
                double copy = timeCopy(comm, plain, send, receive, iterations, false);
                double duplex = timeCopy(comm, plain, send, receive, iterations, true);
                if (rank == 0) System.out.printf("ROW %d %.3f %.3f %.3f%n", mib, allReduce, copy, duplex);
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

    /** All-reduces an ND4J FLOAT array, the path the trainer's fused gradient buffer takes. */
    private static double timeAllReduce(Communicator comm, int n, int iterations) {
        INDArray buf = Nd4j.create(DataType.FLOAT, n);
        double[] ms = new double[iterations];
        double expected = comm.worldSize() * (comm.worldSize() + 1) / 2.0;
        for (int it = -2; it < iterations; it++) { // two warm-up rounds
            buf.assign(comm.rank() + 1);
            comm.barrier();
            long t0 = System.nanoTime();
            comm.allReduceSum(buf);
            long t1 = System.nanoTime();
            if (it < 0) {
                double min = buf.minNumber().doubleValue(), max = buf.maxNumber().doubleValue();
                if (min != expected || max != expected) {
                    throw new IllegalStateException("all-reduce wrong: values in [" + min + ", " + max + "], expected " + expected);
                }
            } else {
                ms[it] = (t1 - t0) / 1e6;
            }
        }
        return median(ms);
    }

    private static double timeCopy(Communicator comm, SocketChannel ch, ByteBuffer send, ByteBuffer receive, int iterations,
                                   boolean duplex) throws Exception {
        double[] ms = new double[iterations];
        ByteBuffer ack = ByteBuffer.allocateDirect(1);
        for (int it = -2; it < iterations; it++) {
            comm.barrier();
            long t0 = System.nanoTime();
            if (duplex) {
                Thread sender = new Thread(() -> writeAll(ch, send.clear()));
                sender.start();
                readAll(ch, receive.clear());
                sender.join();
            } else if (comm.rank() == 0) {
                writeAll(ch, send.clear());
            } else {
                readAll(ch, receive.clear());
            }
            // one byte back and forth so that rank 0's time covers the last byte's arrival on both sides
            if (comm.rank() == 1) writeAll(ch, ack.clear());
            readAllOrAck(ch, ack, comm.rank());
            long t1 = System.nanoTime();
            if (it >= 0) ms[it] = (t1 - t0) / 1e6;
        }
        return median(ms);
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
