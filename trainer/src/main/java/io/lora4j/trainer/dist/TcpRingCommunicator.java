package io.lora4j.trainer.dist;

import io.lora4j.trainer.dist.FrameHeader.Op;
import io.lora4j.trainer.dist.FrameWriter.OutFrame;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Collectives over a TCP ring: rank r receives from rank r−1 and sends to rank r+1 (one connection each way, so a
 * world of two has two connections). All-reduce is reduce-scatter followed by all-gather over {@code worldSize}
 * near-equal chunks, each chunk sent as checksummed frames so that sending, receiving and adding overlap.
 *
 * <p>In step j (of 2·(world−1)) rank r sends chunk (r−j) mod world and receives chunk (r−j−1) mod world; in the first
 * world−1 steps it adds what it receives to its own values, in the rest it overwrites. Frame k of the chunk received
 * in step j is forwarded as frame k of step j+1 as soon as it is processed. Chunk c is summed along the ring starting
 * at rank c and its final value is computed once, at rank c−1, then copied to everyone: the result is bitwise
 * identical on every rank and the same run to run.
 *
 * <p>One thread at a time may call the collectives. Any failure breaks the communicator and closes its connections,
 * so the neighbours fail fast too instead of waiting for their timeouts.
 */
public final class TcpRingCommunicator implements Communicator {
    private final int rank;
    private final int world;
    private final RingOptions opts;
    private final Link left;
    private final FrameWriter writer;
    private final FrameReader reader;
    private final float[] scratch;
    private long opSeq;
    private volatile CommunicatorException broken;
    private volatile boolean closed;

    TcpRingCommunicator(int rank, int world, RingOptions opts, Link left, Link right) {
        this.rank = rank;
        this.world = world;
        this.opts = opts;
        this.left = left;
        if (world == 1) {
            this.writer = null;
            this.reader = null;
            this.scratch = null;
        } else {
            this.writer = new FrameWriter(right, opts.frameBytes(), opts.sendTap(), left::wakeup, "lora4j-ring-send-r" + rank);
            this.reader = new FrameReader(left, rank, opts.frameBytes(), opts.maxControlBytes(), writer::failure);
            this.scratch = new float[2 * FloatStore.BLOCK];
        }
    }

    /** Binds {@code peers.get(rank)} and joins the ring; see {@link Rendezvous} for binding an ephemeral port first. */
    public static TcpRingCommunicator connect(int rank, List<InetSocketAddress> peers, RingOptions opts) {
        Objects.checkIndex(rank, peers.size());
        return Rendezvous.bind(peers.get(rank)).connect(rank, peers, opts);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return world;
    }

    public RingOptions options() {
        return opts;
    }

    @Override
    public synchronized void allReduceSum(float[] buf, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, buf.length);
        allReduce(new FloatStore.ArrayStore(buf, offset, length));
    }

    @Override
    public synchronized void allReduceSum(FloatBuffer buf) {
        if (buf.isReadOnly()) throw new IllegalArgumentException("cannot all-reduce into a read-only buffer");
        if (buf.hasArray()) {
            allReduce(new FloatStore.ArrayStore(buf.array(), buf.arrayOffset() + buf.position(), buf.remaining()));
        } else {
            allReduce(FloatStore.BufferStore.of(buf.slice()));
        }
    }

    /** The gradient path: ND4J's host memory is sent and received as bytes, without copies in user space. */
    @Override
    public synchronized void allReduceSum(INDArray flat) {
        try (HostFloats host = HostFloats.of(flat)) {
            allReduce(FloatStore.BufferStore.of(host.bytes()));
        }
    }

    private void allReduce(FloatStore data) {
        long seq = begin();
        if (world == 1) return;
        ChunkPlan plan = new ChunkPlan(data.length(), world, opts.frameBytes() / Float.BYTES);
        int steps = 2 * (world - 1);
        try {
            for (int k = 0; k < plan.frames(rank); k++) writer.send(floatFrame(seq, 0, rank, k, plan, data));
            for (int step = 0; step < steps; step++) {
                int chunk = Math.floorMod(rank - step - 1, world);
                boolean reducing = step < world - 1;
                for (int k = 0; k < plan.frames(chunk); k++) {
                    int at = plan.frameStart(chunk, k), count = plan.frameLength(chunk, k);
                    FrameHeader header = floatHeader(seq, step, chunk, k, plan);
                    ByteBuffer direct = reducing ? null : data.wireView(at, count);
                    if (direct != null) {
                        reader.readFloatsInto(header, direct);
                    } else {
                        FloatBuffer in = reader.readFloats(header);
                        if (reducing) data.addIn(at, in, count, scratch);
                        else data.copyIn(at, in, count);
                    }
                    if (step + 1 < steps) writer.send(floatFrame(seq, step + 1, chunk, k, plan, data));
                }
            }
            writer.flush(); // the caller owns the buffer again only once nothing is left to send from it
        } catch (CommunicatorException e) {
            throw breakWith(e);
        }
    }

    private static FrameHeader floatHeader(long seq, int step, int chunk, int frame, ChunkPlan plan) {
        return new FrameHeader(Op.ALL_REDUCE, seq, step, chunk, frame, plan.length(), plan.frameLength(chunk, frame) * Float.BYTES);
    }

    private static OutFrame floatFrame(long seq, int step, int chunk, int frame, ChunkPlan plan, FloatStore data) {
        return new OutFrame(floatHeader(seq, step, chunk, frame, plan), data, plan.frameStart(chunk, frame),
                plan.frameLength(chunk, frame), null);
    }

    @Override
    public synchronized byte[][] allGather(byte[] message) {
        checkControlMessage(message);
        long seq = begin();
        byte[][] all = new byte[world][];
        all[rank] = message.clone();
        if (world == 1) return all;
        try {
            // like the all-gather half of all-reduce: step t forwards what arrived in step t−1
            writer.send(bytesFrame(Op.ALL_GATHER, seq, 0, rank, all[rank]));
            for (int step = 0; step < world - 1; step++) {
                int from = Math.floorMod(rank - step - 1, world);
                all[from] = reader.readBytes(controlHeader(Op.ALL_GATHER, seq, step, from));
                if (step + 1 < world - 1) writer.send(bytesFrame(Op.ALL_GATHER, seq, step + 1, from, all[from]));
            }
            writer.flush();
            return all;
        } catch (CommunicatorException e) {
            throw breakWith(e);
        }
    }

    @Override
    public synchronized byte[] broadcast(int root, byte[] message) {
        Objects.checkIndex(root, world);
        if (rank == root) checkControlMessage(message);
        long seq = begin();
        if (world == 1) return message.clone();
        try {
            byte[] result;
            int hop = Math.floorMod(rank - root, world); // the root's message reaches this rank after `hop` steps
            if (hop == 0) {
                result = message.clone();
            } else {
                result = reader.readBytes(controlHeader(Op.BROADCAST, seq, hop - 1, root));
            }
            if (hop < world - 1) writer.send(bytesFrame(Op.BROADCAST, seq, hop, root, result));
            writer.flush();
            return result;
        } catch (CommunicatorException e) {
            throw breakWith(e);
        }
    }

    @Override
    public void barrier() {
        allGather(new byte[0]); // nobody can finish before everyone's (empty) message went round
    }

    private void checkControlMessage(byte[] message) {
        Objects.requireNonNull(message, "message");
        if (message.length > opts.maxControlBytes()) {
            throw new IllegalArgumentException("control message of " + message.length + " bytes exceeds maxControlBytes "
                    + opts.maxControlBytes() + "; use allReduceSum for bulk data");
        }
    }

    private static FrameHeader controlHeader(Op op, long seq, int step, int chunk) {
        return new FrameHeader(op, seq, step, chunk, 0, 0, -1);
    }

    private static OutFrame bytesFrame(Op op, long seq, int step, int chunk, byte[] bytes) {
        return new OutFrame(new FrameHeader(op, seq, step, chunk, 0, 0, bytes.length), null, 0, 0, bytes);
    }

    /** Numbers the collective; every rank counts the same way, so frames of different collectives never match. */
    private long begin() {
        if (closed) throw new IllegalStateException("communicator of rank " + rank + " is closed");
        CommunicatorException b = broken;
        if (b != null) {
            throw new CommunicatorException("communicator of rank " + rank + " is broken by an earlier failure: " + b.getMessage(),
                    b.peerRank(), b.peerAddress(), b);
        }
        return ++opSeq;
    }

    private CommunicatorException breakWith(CommunicatorException e) {
        if (broken == null) broken = e;
        closeLinks();
        return e;
    }

    private void closeLinks() {
        if (writer != null) writer.close();
        if (left != null) left.close();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        closeLinks();
    }

    @Override
    public String toString() {
        return "TcpRingCommunicator[rank " + rank + " of " + world + (left == null ? "" : ", left " + left.peer()) + "]";
    }
}
