package io.lora4j.trainer.dist;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;

/**
 * Ring all-reduce over TCP: reduce-scatter then all-gather, each rank sending to rank+1 and receiving from rank−1
 * at the same time (a sender thread, so neighbours never deadlock). The buffer is cut into worldSize chunks, each
 * sent in frames of at most {@link Options#frameFloats} floats with a header and a CRC32 the receiver verifies. Each
 * chunk's sum is computed by one rank and then copied to the others, so all ranks end with identical bits. Reads and
 * connects have bounded timeouts: a peer that stops answering raises {@link CommunicatorTimeoutException} naming it.
 */
public final class TcpRingCommunicator implements Communicator {
    /** @param timeoutMillis bound on connecting and on every read; @param frameFloats floats per frame */
    public record Options(int timeoutMillis, int frameFloats) {
        public static Options defaults() {
            return new Options(120_000, 1 << 20);
        }
    }

    private final int rank;
    private final List<InetSocketAddress> peers;
    private final Options opts;
    private final ServerSocket server;
    private final Socket toNext;
    private final Socket fromPrev;
    private final DataOutputStream out;
    private final DataInputStream in;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lora4j-ring-sender");
        t.setDaemon(true);
        return t;
    });
    private int sequence;
    /** Test hook: corrupts the next frame's payload after its checksum was computed. */
    volatile boolean corruptNextFrame;

    private TcpRingCommunicator(int rank, List<InetSocketAddress> peers, Options opts, ServerSocket server, Socket toNext, Socket fromPrev) throws IOException {
        this.rank = rank;
        this.peers = peers;
        this.opts = opts;
        this.server = server;
        this.toNext = toNext;
        this.fromPrev = fromPrev;
        this.out = new DataOutputStream(new BufferedOutputStream(toNext.getOutputStream(), 1 << 16));
        this.in = new DataInputStream(new BufferedInputStream(fromPrev.getInputStream(), 1 << 16));
    }

    /** Binds this rank's listening socket on an ephemeral port (its address is then shared with the other ranks). */
    public static ServerSocket bind(String host) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(host, 0));
        return s;
    }

    /** Connects rank {@code rank} into the ring of {@code peers} (every rank's listening address, by rank). */
    public static TcpRingCommunicator connect(int rank, List<InetSocketAddress> peers, ServerSocket server, Options opts) throws IOException {
        int n = peers.size();
        InetSocketAddress next = peers.get((rank + 1) % n);
        long deadline = System.currentTimeMillis() + opts.timeoutMillis();
        Socket toNext = null;
        IOException last = null;
        while (toNext == null && System.currentTimeMillis() < deadline) {
            try {
                Socket s = new Socket();
                s.connect(next, Math.max(1000, (int) (deadline - System.currentTimeMillis())));
                s.setTcpNoDelay(true);
                s.setSendBufferSize(1 << 20);
                new DataOutputStream(s.getOutputStream()).writeInt(rank); // handshake: who I am
                toNext = s;
            } catch (IOException e) {
                last = e;
                sleep(50);
            }
        }
        if (toNext == null) throw new CommunicatorTimeoutException("rank " + rank + ": could not connect to rank " + (rank + 1) % n + " at " + next, last);
        server.setSoTimeout(opts.timeoutMillis());
        Socket fromPrev;
        try {
            fromPrev = server.accept();
        } catch (SocketTimeoutException e) {
            throw new CommunicatorTimeoutException("rank " + rank + ": rank " + (rank - 1 + n) % n + " at " + peers.get((rank - 1 + n) % n)
                    + " did not connect within " + opts.timeoutMillis() + " ms", e);
        }
        fromPrev.setSoTimeout(opts.timeoutMillis());
        fromPrev.setReceiveBufferSize(1 << 20);
        int who = new DataInputStream(fromPrev.getInputStream()).readInt();
        if (who != (rank - 1 + n) % n) throw new IOException("rank " + rank + ": expected rank " + (rank - 1 + n) % n + " to connect, got rank " + who);
        return new TcpRingCommunicator(rank, peers, opts, server, toNext, fromPrev);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return peers.size();
    }

    private int prev() {
        return (rank - 1 + peers.size()) % peers.size();
    }

    @Override
    public void allReduceSum(float[] buf) throws IOException {
        int n = peers.size();
        if (n == 1) return;
        int[] start = new int[n + 1];
        for (int c = 0; c <= n; c++) start[c] = (int) ((long) buf.length * c / n);
        // reduce-scatter: after step s, chunk (rank − s − 1) holds the sum of s + 2 ranks
        for (int s = 0; s < n - 1; s++) {
            int send = Math.floorMod(rank - s, n), recv = Math.floorMod(rank - s - 1, n);
            exchange(buf, start[send], start[send + 1] - start[send], start[recv], start[recv + 1] - start[recv], true);
        }
        // all-gather: the finished chunk (rank + 1) travels around the ring
        for (int s = 0; s < n - 1; s++) {
            int send = Math.floorMod(rank + 1 - s, n), recv = Math.floorMod(rank - s, n);
            exchange(buf, start[send], start[send + 1] - start[send], start[recv], start[recv + 1] - start[recv], false);
        }
    }

    /** Sends buf[so, so+sl) to the next rank while receiving from the previous into buf[ro, ro+rl) (added or copied). */
    private void exchange(float[] buf, int so, int sl, int ro, int rl, boolean add) throws IOException {
        int seq = sequence++;
        Future<?> sending = sender.submit(() -> {
            sendChunk(buf, so, sl, seq);
            return null;
        });
        receiveChunk(buf, ro, rl, seq, add);
        try {
            sending.get();
        } catch (Exception e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            throw new IOException("rank " + rank + ": sending to rank " + (rank + 1) % peers.size() + " failed: " + c.getMessage(), c);
        }
    }

    private void sendChunk(float[] buf, int off, int len, int seq) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(4 * Math.min(len, opts.frameFloats()) + 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int pos = 0; pos < len || (len == 0 && pos == 0); ) {
            int n = Math.min(opts.frameFloats(), len - pos);
            bytes.clear();
            bytes.asFloatBuffer().put(buf, off + pos, n);
            CRC32 crc = new CRC32();
            crc.update(bytes.array(), 0, 4 * n);
            if (corruptNextFrame && n > 0) {
                bytes.array()[0] ^= 1;
                corruptNextFrame = false;
            }
            out.writeInt(seq);
            out.writeInt(pos);
            out.writeInt(n);
            out.write(bytes.array(), 0, 4 * n);
            out.writeLong(crc.getValue());
            pos += n;
            if (len == 0) break;
        }
        out.flush();
    }

    private void receiveChunk(float[] buf, int off, int len, int seq, boolean add) throws IOException {
        byte[] bytes = new byte[4 * Math.min(Math.max(len, 1), opts.frameFloats())];
        try {
            for (int pos = 0; pos < len || (len == 0 && pos == 0); ) {
                int s = in.readInt(), p = in.readInt(), n = in.readInt();
                if (s != seq || p != pos || n < 0 || n > opts.frameFloats() || pos + n > len) {
                    throw new IOException("rank " + rank + ": bad frame from rank " + prev() + " (sequence " + s + ", offset " + p + ", length " + n
                            + "; expected sequence " + seq + ", offset " + pos + ")");
                }
                in.readFully(bytes, 0, 4 * n);
                long expected = in.readLong();
                CRC32 crc = new CRC32();
                crc.update(bytes, 0, 4 * n);
                if (crc.getValue() != expected) {
                    throw new IOException("rank " + rank + ": checksum mismatch in a frame from rank " + prev() + " at " + peers.get(prev()) + " (corrupted data)");
                }
                ByteBuffer b = ByteBuffer.wrap(bytes, 0, 4 * n).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) {
                    float v = b.getFloat();
                    if (add) buf[off + pos + i] += v;
                    else buf[off + pos + i] = v;
                }
                pos += n;
                if (len == 0) break;
            }
        } catch (SocketTimeoutException e) {
            throw new CommunicatorTimeoutException("rank " + rank + ": rank " + prev() + " at " + peers.get(prev()) + " sent nothing for "
                    + opts.timeoutMillis() + " ms (dead or hung worker)", e);
        }
    }

    @Override
    public long[] allGather(long value) throws IOException {
        int n = peers.size();
        long[] out = new long[n];
        // each rank contributes its value in its own slot (others 0), as four 16-bit pieces so float sums stay exact
        float[] pieces = new float[4 * n];
        for (int k = 0; k < 4; k++) pieces[4 * rank + k] = (float) ((value >>> (16 * k)) & 0xFFFF);
        allReduceSum(pieces);
        for (int r = 0; r < n; r++) {
            long v = 0;
            for (int k = 0; k < 4; k++) v |= ((long) pieces[4 * r + k]) << (16 * k);
            out[r] = v;
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        sender.shutdownNow();
        try (Socket a = toNext; Socket b = fromPrev; ServerSocket s = server) {
            out.flush();
        } catch (IOException ignored) {
            // closing a broken ring
        }
    }
}
