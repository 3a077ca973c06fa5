package io.lora4j.trainer.dist;

import static org.bytedeco.cuda.global.cudart.cudaErrorNotReady;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamQuery;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;
import static org.bytedeco.cuda.global.nccl.NCCL_UNIQUE_ID_BYTES;
import static org.bytedeco.cuda.global.nccl.ncclAllReduce;
import static org.bytedeco.cuda.global.nccl.ncclCommAbort;
import static org.bytedeco.cuda.global.nccl.ncclCommDestroy;
import static org.bytedeco.cuda.global.nccl.ncclCommGetAsyncError;
import static org.bytedeco.cuda.global.nccl.ncclCommInitRank;
import static org.bytedeco.cuda.global.nccl.ncclFloat;
import static org.bytedeco.cuda.global.nccl.ncclGetErrorString;
import static org.bytedeco.cuda.global.nccl.ncclGetUniqueId;
import static org.bytedeco.cuda.global.nccl.ncclSum;

import java.nio.FloatBuffer;
import java.time.Duration;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.memory.pointers.PagedPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The gradient all-reduce on GPUs through NCCL (JavaCPP's bindings, which ND4J's CUDA backend brings), for
 * {@code distributed.backend: nccl}. The big collective, {@link #allReduceSum(INDArray)} on the flat gradient buffer,
 * runs on device memory in place; the small control traffic (loss totals, checksums, barriers) and the exchange of
 * NCCL's unique id go through the TCP ring the gang already has.
 *
 * <p>Only compiled here: it has not been run on a GPU (see the README's cluster section).
 */
final class NcclCommunicator implements Communicator {
    private final Communicator control;
    private final Duration timeout;
    private final ncclComm comm = new ncclComm();
    private final CUstream_st stream = new CUstream_st();
    private boolean aborted;

    /**
     * Joins the NCCL communicator of the gang: rank 0 creates the unique id, every rank gets it through {@code control}.
     * A collective that has not completed after {@code timeout} aborts the communicator and fails, as the ring does.
     */
    NcclCommunicator(Communicator control, int device, Duration timeout) {
        this.control = control;
        this.timeout = timeout;
        check("cudaSetDevice", cudaSetDevice(device));
        ncclUniqueId id = new ncclUniqueId();
        byte[] mine = new byte[NCCL_UNIQUE_ID_BYTES];
        if (control.rank() == 0) {
            nccl("ncclGetUniqueId", ncclGetUniqueId(id));
            id.internal().get(mine);
        }
        byte[] rootId = control.allGather(mine)[0];
        id.internal().put(rootId);
        nccl("ncclCommInitRank", ncclCommInitRank(comm, control.worldSize(), id, control.rank()));
        check("cudaStreamCreate", cudaStreamCreate(stream));
    }

    @Override
    public int rank() {
        return control.rank();
    }

    @Override
    public int worldSize() {
        return control.worldSize();
    }

    /** In place on the array's device memory; ND4J's pending work is finished first, and the host copy marked stale after. */
    @Override
    public void allReduceSum(INDArray flat) {
        if (flat.dataType() != DataType.FLOAT || (flat.length() > 1 && flat.elementWiseStride() != 1)) {
            throw new IllegalArgumentException("NCCL all-reduce needs a contiguous FLOAT array, got " + flat.dataType() + " stride " + flat.elementWiseStride());
        }
        Nd4j.getAffinityManager().ensureLocation(flat, AffinityManager.Location.DEVICE);
        Nd4j.getExecutioner().commit();
        BytePointer device = deviceBuffer(flat).position(flat.offset() * Float.BYTES);
        nccl("ncclAllReduce", ncclAllReduce(device, device, flat.length(), ncclFloat, ncclSum, comm, stream));
        int[] async = new int[1];
        CollectiveWatch.await("NCCL all-reduce of " + flat.length() + " floats", rank(), timeout, () -> {
            int q = cudaStreamQuery(stream);
            if (q != cudaSuccess && q != cudaErrorNotReady) check("cudaStreamQuery", q);
            return q == cudaSuccess;
        }, () -> {
            nccl("ncclCommGetAsyncError", ncclCommGetAsyncError(comm, async));
            return async[0];
        }, code -> ncclGetErrorString(code).getString(), this::abort);
        Nd4j.getAffinityManager().tagLocation(flat, AffinityManager.Location.DEVICE);
    }

    /** ND4J's device memory of the array's buffer (the platform address on the CUDA backend), as bytes. */
    private static BytePointer deviceBuffer(INDArray a) {
        return new PagedPointer(a.data().platformAddress()).asBytePointer();
    }

    @Override
    public void allReduceSum(float[] buf, int offset, int length) {
        control.allReduceSum(buf, offset, length);
    }

    @Override
    public void allReduceSum(FloatBuffer buf) {
        control.allReduceSum(buf);
    }

    @Override
    public byte[][] allGather(byte[] message) {
        return control.allGather(message);
    }

    @Override
    public byte[] broadcast(int root, byte[] message) {
        return control.broadcast(root, message);
    }

    @Override
    public void barrier() {
        control.barrier();
    }

    /** Frees the communicator and its pending GPU work without waiting for peers (after a failure). */
    private void abort() {
        if (aborted) return;
        aborted = true;
        ncclCommAbort(comm);
    }

    @Override
    public void close() {
        if (!aborted) ncclCommDestroy(comm);
        cudaStreamDestroy(stream);
        control.close();
    }

    private static void nccl(String call, int result) {
        if (result != 0) throw new CommunicatorException(call + " failed: " + ncclGetErrorString(result).getString() + " (ncclResult " + result + ")", null);
    }

    private static void check(String call, int result) {
        if (result != 0) throw new CommunicatorException(call + " failed with CUDA error " + result, null);
    }
}
