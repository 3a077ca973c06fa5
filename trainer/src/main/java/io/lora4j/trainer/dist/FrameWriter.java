package io.lora4j.trainer.dist;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.zip.CRC32C;

/**
 * The sending half of a rank: a thread that encodes queued frames (header, payload, CRC-32C) and writes them to the
 * right neighbour while the rank's own thread receives from the left one. Sending and receiving therefore never wait
 * on each other, so two neighbours both writing large frames cannot deadlock on full socket buffers.
 *
 * <p>A queued float frame only references the caller's data; {@link #flush()} returns once everything queued is
 * written, after which the caller may change the data again.
 */
final class FrameWriter implements AutoCloseable {
    /** A frame to send: either {@code count} floats of {@code floats} from {@code from}, or {@code bytes}. */
    record OutFrame(FrameHeader header, FloatStore floats, int from, int count, byte[] bytes) {}

    private final Link link;
    private final FrameTap tap;
    private final Runnable onFailure;
    private final Thread thread;
    private final ArrayDeque<OutFrame> queue = new ArrayDeque<>();
    private final ByteBuffer headerBytes = ByteBuffer.allocateDirect(FrameHeader.BYTES);
    private final ByteBuffer payload;
    private final FloatBuffer payloadFloats;
    private final ByteBuffer[] gather = new ByteBuffer[2];
    private final CRC32C crc = new CRC32C();
    private long queued;
    private long written;
    private boolean stopping;
    private volatile CommunicatorException failure;

    FrameWriter(Link link, int frameBytes, FrameTap tap, Runnable onFailure, String threadName) {
        this.link = link;
        this.tap = tap;
        this.onFailure = onFailure;
        this.payload = ByteBuffer.allocateDirect(frameBytes).order(ByteOrder.LITTLE_ENDIAN);
        this.payloadFloats = payload.asFloatBuffer();
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a frame; throws the writer's failure if it already failed. */
    synchronized void send(OutFrame frame) {
        throwIfFailed();
        if (stopping) throw new IllegalStateException("communicator is closed");
        queue.addLast(frame);
        queued++;
        notifyAll();
    }

    /** Waits until every queued frame is written (each write is bounded by the link's timeout). */
    synchronized void flush() {
        while (written < queued && failure == null && !stopping) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommunicatorException("interrupted while sending to " + link.peer(), e);
            }
        }
        throwIfFailed();
    }

    CommunicatorException failure() {
        return failure;
    }

    private void throwIfFailed() {
        CommunicatorException f = failure;
        if (f != null) throw f;
    }

    private void run() {
        while (true) {
            OutFrame frame;
            synchronized (this) {
                while (queue.isEmpty() && !stopping) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return; // only close() interrupts, after setting stopping
                    }
                }
                if (stopping) return;
                frame = queue.pollFirst();
            }
            try {
                write(frame);
            } catch (RuntimeException e) {
                synchronized (this) {
                    if (stopping) return; // the failure is the local close
                    failure = e instanceof CommunicatorException ce ? ce
                            : new CommunicatorException("rank sender failed towards " + link.peer() + ": " + e, link.peerRank(), link.peerAddress(), e);
                    notifyAll();
                }
                onFailure.run();
                return;
            }
            synchronized (this) {
                written++;
                notifyAll();
            }
        }
    }

    private void write(OutFrame frame) {
        ByteBuffer body;
        if (frame.bytes() != null) {
            body = ByteBuffer.wrap(frame.bytes());
        } else if ((body = frame.floats().wireView(frame.from(), frame.count())) != null) {
            // sent straight from the caller's memory: it does not change until the frame has reached the neighbour
        } else {
            payload.clear();
            frame.floats().copyOut(frame.from(), payloadFloats, frame.count());
            payload.limit(frame.count() * Float.BYTES);
            body = payload;
        }
        frame.header().encode(headerBytes);
        crc.reset();
        crc.update(headerBytes.clear().limit(FrameHeader.CRC_OFFSET));
        crc.update(body.duplicate());
        headerBytes.clear();
        headerBytes.putInt(FrameHeader.CRC_OFFSET, (int) crc.getValue());
        if (tap != null) tap.beforeSend(frame.header(), headerBytes, body);
        gather[0] = headerBytes;
        gather[1] = body;
        link.writeFully(gather, frame.header());
    }

    /** Stops the thread and closes the link; queued frames are dropped. */
    @Override
    public void close() {
        synchronized (this) {
            stopping = true;
            notifyAll();
        }
        link.close(); // wakes a write waiting in select
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
