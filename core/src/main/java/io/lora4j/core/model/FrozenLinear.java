package io.lora4j.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A base-model projection with a frozen weight (out, in) held in fp32, fp16 or bf16; computes in the activations' type (fp32, or fp64 in gradient checks). */
public final class FrozenLinear implements Linear {
    private final INDArray weight; // (out, in)

    public FrozenLinear(INDArray weight) {
        if (weight.rank() != 2) throw new IllegalArgumentException("weight must be (out, in), got " + weight.shapeInfoToString());
        this.weight = weight;
    }

    public INDArray weight() {
        return weight;
    }

    /** The weight in the compute type {@code type} (a temporary copy when it is stored in half precision). */
    public INDArray weightAs(DataType type) {
        return weight.dataType() == type ? weight : weight.castTo(type);
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
        INDArray y = Nd4j.createUninitialized(x.dataType(), x.size(0), weight.size(0));
        Nd4j.gemm(x, weightAs(x.dataType()), y, false, true, 1.0, 0.0);
        return y;
    }

    @Override
    public INDArray backward(INDArray x, INDArray dy) {
        INDArray dx = Nd4j.createUninitialized(dy.dataType(), dy.size(0), weight.size(1));
        Nd4j.gemm(dy, weightAs(dy.dataType()), dx, false, false, 1.0, 0.0);
        return dx;
    }
}
