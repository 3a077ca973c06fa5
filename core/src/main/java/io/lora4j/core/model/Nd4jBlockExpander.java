package io.lora4j.core.model;

import io.lora4j.core.ggml.GgmlType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.custom.BitCast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Expands Q8_0, Q4_0, F16 and BF16 weights with ND4J ops only, so that on a device backend (CUDA) expansion runs on
 * the device with no host loop. At the first expansion the stored rows are copied once, in the model's row order, into
 * ND4J arrays of the backend: Q8_0/Q4_0 as their fp16 scales (a HALF array, one per block of 32) and their codes (INT8
 * for Q8_0, UINT8 for Q4_0's packed nibbles), F16/BF16 as a HALF/BFLOAT16 matrix. Each expansion is then casts, a
 * floating-point mod and broadcast multiplies written into the destination; the only temporary is the scales cast to
 * fp32 (1/32 of the matrix).
 *
 * <p>Bit-identical to the host expander: every value is the one float product q·d of the same two floats, q being a
 * small integer that fp32 holds exactly. Q4_0's nibbles are split in fp32 rather than with integer shifts: the byte b
 * (0..255) is cast to float, high = floor(b·(1/16)) and low = b − 16·high are exact (small integers, power-of-two
 * scales), and need no integer temporaries (ND4J 1.0.0-M2.1's shift ops would need b widened to INT32 in a temporary
 * first). fmod(b, 16) is exact too but libnd4j's fmod ran ~10x slower than the floor on the CPU.
 *
 * <p>On the CPU backend this mode (-Dlora4j.expand=nd4j) holds the copy beside the mapped file, so the base costs
 * twice its size; it is there to test what runs on the device.
 */
public final class Nd4jBlockExpander implements BlockWeight.Expander {
    public static final Nd4jBlockExpander INSTANCE = new Nd4jBlockExpander();
    private static final int BLOCK = 32;

    private Nd4jBlockExpander() {}

    public static boolean supports(GgmlType t) {
        return t == GgmlType.Q8_0 || t == GgmlType.Q4_0 || t == GgmlType.F16 || t == GgmlType.BF16;
    }

    /** The backend's copy of a weight: blocks' scales (null for F16/BF16) and codes (or the whole HALF/BFLOAT16 matrix). */
    record Stored(INDArray scales, INDArray codes) {}

    @Override
    public void expand(BlockWeight w, INDArray dst) {
        Stored s = w.deviceCopy(Nd4jBlockExpander::upload);
        if (dst.dataType() != DataType.FLOAT) {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                INDArray f = Nd4j.createUninitializedDetached(DataType.FLOAT, w.rows(), w.cols());
                expand(w, f);
                dst.assign(f);
                return;
            }
        }
        switch (w.type()) {
            case F16, BF16 -> dst.assign(s.codes()); // exact widening cast
            case Q8_0 -> {
                INDArray v = blocks(dst, w, BLOCK);
                v.assign(s.codes()); // int8 → fp32
                scale(v, s.scales());
            }
            case Q4_0 -> {
                INDArray v = blocks(dst, w, BLOCK);
                long nb = v.size(0);
                INDArray halves = view(v, nb, 2, BLOCK / 2);
                INDArray lo = halves.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all());
                INDArray hi = halves.get(NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.all());
                lo.assign(s.codes());               // b in 0..255
                Transforms.floor(hi.assign(lo).muli(1.0 / 16), false); // b >> 4 = floor(b / 16)
                lo.subi(hi.muli(16));               // b & 0x0F = b − 16·(b >> 4)
                hi.muli(1.0 / 16);
                v.subi(8);
                scale(v, s.scales());
            }
            default -> throw new IllegalStateException("tensor '" + w.name() + "': no ND4J expansion for " + w.type());
        }
    }

    /**
     * {@code dst} as (blocks, 32), built on dst's own buffer and offset (dst is 'c' and contiguous, checked by the
     * caller) so it is always a view: a reshape may copy.
     */
    private static INDArray blocks(INDArray dst, BlockWeight w, int block) {
        return view(dst, w.rows() * w.cols() / block, block);
    }

    /** A 'c'-ordered view of contiguous {@code a}'s elements with another shape. */
    private static INDArray view(INDArray a, long... shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= shape[i];
        }
        return Nd4j.create(a.data(), shape, stride, a.offset(), 'c');
    }

    /** v (blocks, 32) *= each block's scale, cast from fp16 (exact). */
    private static void scale(INDArray v, INDArray halfScales) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            v.muliColumnVector(halfScales.castTo(DataType.FLOAT).reshape(v.size(0), 1));
        }
    }

    /** Copies the stored rows (once, on the host) into arrays of the backend; see the class comment. */
    static Stored upload(BlockWeight w) {
        GgmlType t = w.type();
        int rowBytes = (int) t.rowBytes(w.cols());
        int rows = Math.toIntExact(w.rows());
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            if (t == GgmlType.F16 || t == GgmlType.BF16) {
                byte[] row = new byte[rowBytes];
                short[] v = new short[Math.toIntExact(w.rows() * w.cols())];
                for (int r = 0; r < rows; r++) {
                    w.copyRowBytes(r, row, 0);
                    java.nio.ByteBuffer.wrap(row).order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(v, r * (int) w.cols(), (int) w.cols());
                }
                INDArray bits = Nd4j.createFromArray(v).reshape('c', w.rows(), w.cols());
                return new Stored(null, bitcast(bits, t == GgmlType.F16 ? DataType.HALF : DataType.BFLOAT16));
            }
            int perBlock = (int) t.typeSize, codeBytes = perBlock - 2; // fp16 d, then the codes
            int blocksPerRow = rowBytes / perBlock;
            int nb = Math.multiplyExact(rows, blocksPerRow);
            short[] d = new short[nb];
            byte[] codes = new byte[Math.multiplyExact(nb, codeBytes)];
            byte[] row = new byte[rowBytes];
            for (int r = 0, b = 0; r < rows; r++) {
                w.copyRowBytes(r, row, 0);
                for (int k = 0; k < blocksPerRow; k++, b++) {
                    int at = k * perBlock;
                    d[b] = (short) (row[at] & 0xFF | row[at + 1] << 8);
                    System.arraycopy(row, at + 2, codes, b * codeBytes, codeBytes);
                }
            }
            INDArray scales = bitcast(Nd4j.createFromArray(d), DataType.HALF);
            INDArray c = Nd4j.createFromArray(codes).reshape('c', nb, codeBytes);
            if (t == GgmlType.Q4_0) c = bitcast(c, DataType.UINT8); // the packed nibbles are unsigned
            return new Stored(scales, c);
        }
    }

    /** The same bits as another type of the same width (ND4J's bitcast op). */
    private static INDArray bitcast(INDArray in, DataType type) {
        INDArray out = Nd4j.createUninitializedDetached(type, in.shape());
        Nd4j.exec(new BitCast(in, type, out));
        return out;
    }
}
