package io.lora4j.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A base-model projection with a frozen weight (out, in) in its stored precision; computes in the activations' type
 * (fp32, or fp64 in gradient checks). Each gemm first expands the weight into the thread's {@link WeightScratch}
 * (nothing to do for an fp32 weight), so only one expanded matrix exists at a time.
 */
public final class FrozenLinear implements Linear {
    private final FrozenWeight weight; // (out, in)

    public FrozenLinear(INDArray weight) {
        this(new DenseWeight(weight));
    }

    public FrozenLinear(FrozenWeight weight) {
        this.weight = weight;
    }

    private volatile java.util.List<FrozenWeight> rowChunks; // made on first use, for one chunk size

    /** The weight's rows in consecutive slices of {@code rows} rows (the last one shorter), made once and kept. */
    public java.util.List<FrozenWeight> rowChunks(int rows) {
        java.util.List<FrozenWeight> c = rowChunks;
        if (c == null || c.get(0).rows() != Math.min(rows, weight.rows())) {
            java.util.List<FrozenWeight> made = new java.util.ArrayList<>();
            for (long r = 0; r < weight.rows(); r += rows) made.add(weight.rowSlice(r, Math.min(weight.rows(), r + rows)));
            rowChunks = c = java.util.List.copyOf(made);
        }
        return c;
    }

    /** The weight as stored. */
    public FrozenWeight stored() {
        return weight;
    }

    /** The stored array of a dense weight (the one the gemm reads: gradient checks perturb it in place). */
    public INDArray weight() {
        if (weight instanceof DenseWeight d) return d.array();
        throw new IllegalStateException("the weight is stored as " + weight.storage() + ", not as a dense array: use stored()");
    }

    /** A caller-owned dense copy of the weight in {@code type} (or the stored array itself when it is one of that type). */
    public INDArray weightAs(DataType type) {
        INDArray d = weight.denseAs(type);
        return d != null ? d : weight.toDense(type);
    }

    @Override
    public int inFeatures() {
        return (int) weight.cols();
    }

    @Override
    public int outFeatures() {
        return (int) weight.rows();
    }

    @Override
    public INDArray forward(INDArray x) {
        INDArray y = Nd4j.createUninitialized(x.dataType(), x.size(0), weight.rows());
        Nd4j.gemm(x, WeightScratch.expand(weight, x.dataType()), y, false, true, 1.0, 0.0);
        return y;
    }

    @Override
    public INDArray backward(INDArray x, INDArray dy) {
        INDArray dx = Nd4j.createUninitialized(dy.dataType(), dy.size(0), weight.cols());
        Nd4j.gemm(dy, WeightScratch.expand(weight, dy.dataType()), dx, false, false, 1.0, 0.0);
        return dx;
    }
}
