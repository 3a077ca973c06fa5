package io.lora4j.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** A frozen matrix held as an ND4J array (fp32, fp16, bf16, or fp64 in gradient checks): expansion is an ND4J cast. */
public final class DenseWeight implements FrozenWeight {
    private final INDArray array;

    public DenseWeight(INDArray array) {
        if (array.rank() != 2) throw new IllegalArgumentException("a weight matrix must be (rows, cols), got " + array.shapeInfoToString());
        this.array = array;
    }

    public INDArray array() {
        return array;
    }

    @Override
    public long rows() {
        return array.size(0);
    }

    @Override
    public long cols() {
        return array.size(1);
    }

    @Override
    public String storage() {
        return switch (array.dataType()) {
            case FLOAT -> "F32";
            case HALF -> "F16";
            case BFLOAT16 -> "BF16";
            case DOUBLE -> "F64";
            default -> array.dataType().toString();
        };
    }

    @Override
    public long storedBytes() {
        return array.length() * array.dataType().width();
    }

    @Override
    public void expandInto(INDArray dst) {
        dst.assign(array); // a type-converting copy, on the device where the arrays live
    }

    @Override
    public INDArray rows(int[] ids, DataType type) {
        INDArray r = array.getRows(ids);
        return r.dataType() == type ? r : r.castTo(type);
    }

    @Override
    public FrozenWeight rowSlice(long from, long to) {
        return new DenseWeight(array.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()));
    }

    @Override
    public INDArray denseAs(DataType type) {
        return array.dataType() == type ? array : null;
    }
}
