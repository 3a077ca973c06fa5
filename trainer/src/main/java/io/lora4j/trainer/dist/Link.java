package io.lora4j.trainer.dist;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One non-blocking TCP connection to a ring neighbour, with its own selector so that every read and write is bounded
 * by the no-progress timeout. Each direction is used by a single thread at a time. Every failure is reported as a
 * {@link CommunicatorException} naming the peer's rank and address.
 */
final class Link implements AutoCloseable {
    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private final int selfRank;
    private final int peerRank;
    private final InetSocketAddress peerAddress;
    private final long timeoutNanos;
    private volatile boolean closed;

    Link(SocketChannel channel, int selfRank, int peerRank, InetSocketAddress peerAddress, long timeoutNanos) throws IOException {
        channel.configureBlocking(false);
        this.channel = channel;
        this.selector = Selector.open();
        this.key = channel.register(selector, 0);
        this.selfRank = selfRank;
        this.peerRank = peerRank;
        this.peerAddress = peerAddress;
        this.timeoutNanos = timeoutNanos;
    }

    int peerRank() {
        return peerRank;
    }

    InetSocketAddress peerAddress() {
        return peerAddress;
    }

    String peer() {
        return "rank " + peerRank + " (" + Rendezvous.format(peerAddress) + ")";
    }

    /**
     * Fills {@code dst}. Fails if the peer sends nothing for the timeout, closes the connection, or if {@code abort}
     * reports a failure of the other direction (checked whenever the read has to wait).
     */
    void readFully(ByteBuffer dst, Object during, Supplier<CommunicatorException> abort) {
        readFully(dst, during, abort, timeoutNanos);
    }

    /** As above with an explicit no-progress timeout (the handshake uses the connect timeout). */
    void readFully(ByteBuffer dst, Object during, Supplier<CommunicatorException> abort, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        try {
            while (dst.hasRemaining()) {
                int n = channel.read(dst);
                if (n < 0) {
                    throw new CommunicatorException("rank " + selfRank + ": " + peer() + " closed the connection while "
                            + "rank " + selfRank + " was receiving " + during, peerRank, peerAddress, null);
                }
                if (n > 0) {
                    deadline = System.nanoTime() + timeoutNanos;
                    continue;
                }
                await(SelectionKey.OP_READ, deadline, timeoutNanos, during, abort, "received nothing from");
            }
        } catch (IOException | ClosedSelectorException | CancelledKeyException e) {
            throw ioFailure("receiving " + during + " from", e);
        }
    }

    /** Writes all of {@code srcs}; fails if the peer accepts nothing for the timeout or the connection breaks. */
    void writeFully(ByteBuffer[] srcs, Object during) {
        long deadline = System.nanoTime() + timeoutNanos;
        try {
            while (anyRemaining(srcs)) {
                long n = channel.write(srcs);
                if (n > 0) {
                    deadline = System.nanoTime() + timeoutNanos;
                    continue;
                }
                await(SelectionKey.OP_WRITE, deadline, timeoutNanos, during, () -> null, "could not send to");
            }
        } catch (IOException | ClosedSelectorException | CancelledKeyException e) {
            throw ioFailure("sending " + during + " to", e);
        }
    }

    private static boolean anyRemaining(ByteBuffer[] srcs) {
        for (ByteBuffer b : srcs) if (b.hasRemaining()) return true;
        return false;
    }

    private void await(int op, long deadline, long timeoutNanos, Object during, Supplier<CommunicatorException> abort, String verb) throws IOException {
        while (true) {
            CommunicatorException other = abort.get();
            if (other != null) throw other;
            if (closed) throw new ClosedChannelException();
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new CommunicatorTimeoutException("rank " + selfRank + " " + verb + " " + peer() + " for "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms during " + during + "; " + peer()
                        + " is hung, dead or not calling the same collective", peerRank, peerAddress);
            }
            key.interestOps(op);
            int ready = selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            selector.selectedKeys().clear();
            if (ready > 0) return;
        }
    }

    private CommunicatorException ioFailure(String what, Exception e) {
        String reason = closed ? "the connection was closed locally" : String.valueOf(e.getMessage());
        return new CommunicatorException("rank " + selfRank + ": failed " + what + " " + peer() + ": " + reason,
                peerRank, peerAddress, e);
    }

    /** Interrupts a read or write waiting in select (it then re-checks its abort condition). */
    void wakeup() {
        selector.wakeup();
    }

    @Override
    public void close() {
        closed = true;
        try {
            selector.close(); // also wakes a thread blocked in select
        } catch (IOException ignored) {
            // closing: nothing left to report to
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // as above
        }
    }
}
