package io.lora4j.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A base-model projection with a frozen weight (out, in) held in fp32, fp16 or bf16; computes in fp32. */
public final class FrozenLinear implements Linear {
    private final INDArray weight; // (out, in)

    public FrozenLinear(INDArray weight) {
        if (weight.rank() != 2) throw new IllegalArgumentException("weight must be (out, in), got " + weight.shapeInfoToString());
        this.weight = weight;
    }

    public INDArray weight() {
        return weight;
    }

    /** The weight as fp32 (a temporary copy when it is stored in half precision). */
    public INDArray weightF32() {
        return weight.dataType() == DataType.FLOAT ? weight : weight.castTo(DataType.FLOAT);
    }

    @Override
    public int inFeatures() {
        return (int) weight.size(1);
    }

    @Override
    public int outFeatures() {
        return (int) weight.size(0);
    }

    @Override
    public INDArray forward(INDArray x) {
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, x.size(0), weight.size(0));
        Nd4j.gemm(x, weightF32(), y, false, true, 1.0, 0.0);
        return y;
    }

    @Override
    public INDArray backward(INDArray x, INDArray dy) {
        INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, dy.size(0), weight.size(1));
        Nd4j.gemm(dy, weightF32(), dx, false, false, 1.0, 0.0);
        return dx;
    }
}
