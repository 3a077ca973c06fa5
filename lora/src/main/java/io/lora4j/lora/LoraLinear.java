package io.lora4j.lora;

import io.lora4j.core.model.FrozenLinear;
import io.lora4j.core.model.Linear;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A frozen projection plus a low-rank update: y = W·x + s·B·(A·drop(x)).
 * Only A (r, in) and B (out, r) are trainable; their gradients accumulate into dA and dB.
 */
public final class LoraLinear implements Linear {
    private final FrozenLinear base;
    private final LoraModule module;
    private final Dropout dropout;

    LoraLinear(FrozenLinear base, LoraModule module, Dropout dropout) {
        this.base = base;
        this.module = module;
        this.dropout = dropout;
    }

    public LoraModule module() {
        return module;
    }

    @Override
    public int inFeatures() {
        return base.inFeatures();
    }

    @Override
    public int outFeatures() {
        return base.outFeatures();
    }

    @Override
    public INDArray forward(INDArray x) {
        INDArray y = base.forward(x);
        INDArray u = dropout.apply(x).mmul(module.a().transpose().castTo(x.dataType())); // (N, r)
        return y.addi(u.mmul(module.b().transpose().castTo(x.dataType())).muli(module.scaling()));
    }

    @Override
    public INDArray backward(INDArray x, INDArray dy) {
        INDArray xd = dropout.apply(x);                                   // (N, in), same mask as the forward
        INDArray u = xd.mmul(module.a().transpose().castTo(x.dataType())); // (N, r)
        // forward: y += s · u · Bᵀ
        module.gradB().addi(dy.transpose().mmul(u).muli(module.scaling()).castTo(module.gradB().dataType()));
        INDArray du = dy.mmul(module.b().castTo(dy.dataType())).muli(module.scaling()); // (N, r)
        // forward: u = xd · Aᵀ
        module.gradA().addi(du.transpose().mmul(xd).castTo(module.gradA().dataType()));
        INDArray dxd = du.mmul(module.a().castTo(dy.dataType()));         // (N, in)
        return base.backward(x, dy).addi(dropout.backward(dxd));
    }

    /** The merged weight W + s·B·A (out, in) in fp32, for export and for checking merges. */
    public INDArray mergedWeight() {
        INDArray w = base.weightAs(module.a().dataType()).dup();
        return w.addi(module.delta());
    }

    static INDArray zerosLike(INDArray a) {
        return Nd4j.zeros(a.dataType(), a.shape());
    }
}
