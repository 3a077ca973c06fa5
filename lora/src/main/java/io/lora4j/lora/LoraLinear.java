package io.lora4j.lora;

import io.lora4j.core.compute.Workspaces;
import io.lora4j.core.model.FrozenLinear;
import io.lora4j.core.model.Linear;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
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

    // Nd4j.gemm with transpose flags, not mmul on transposed views: the latter copies and was 20x slower here.

    @Override
    public INDArray forward(INDArray x) {
        INDArray y = base.forward(x);
        INDArray u;                                                                     // (N, r)
        if (dropout.active()) {
            MemoryWorkspace outer = Nd4j.getMemoryManager().getCurrentWorkspace();
            try (MemoryWorkspace ignored = Workspaces.adapterInput()) { // the dropped-out copy of x dies here
                u = Workspaces.keep(Nd4j.gemm(dropout.apply(x), like(module.a(), x), false, true), outer);
            }
        } else {
            u = Nd4j.gemm(x, like(module.a(), x), false, true);
        }
        Nd4j.gemm(u, like(module.b(), x), y, false, true, module.scaling(), 1.0);     // y += s·u·Bᵀ
        return y;
    }

    @Override
    public INDArray backward(INDArray x, INDArray dy) {
        INDArray xd = dropout.apply(x);                                                // (N, in), same mask as the forward
        INDArray a = like(module.a(), dy), b = like(module.b(), dy);
        INDArray u = Nd4j.gemm(xd, a, false, true);                                    // (N, r)
        // forward: y += s · u · Bᵀ  →  dB += s · dyᵀ·u,  du = s · dy·B
        accumulate(module.gradB(), Nd4j.gemm(dy, u, true, false), module.scaling());
        INDArray du = Nd4j.createUninitialized(dy.dataType(), dy.size(0), b.size(1));
        Nd4j.gemm(dy, b, du, false, false, module.scaling(), 0.0);
        // forward: u = xd · Aᵀ  →  dA += duᵀ·xd,  dxd = du·A
        accumulate(module.gradA(), Nd4j.gemm(du, xd, true, false), 1.0);
        INDArray dx = base.backward(x, dy);
        if (!dropout.active()) {
            Nd4j.gemm(du, a, dx, false, false, 1.0, 1.0);
            return dx;
        }
        return dx.addi(dropout.backward(Nd4j.gemm(du, a, false, false)));
    }

    private static void accumulate(INDArray grad, INDArray g, double scale) {
        grad.addi(scale == 1.0 ? g.castTo(grad.dataType()) : g.muli(scale).castTo(grad.dataType()));
    }

    private static INDArray like(INDArray w, INDArray x) {
        return w.dataType() == x.dataType() ? w : w.castTo(x.dataType());
    }

    /** The merged weight W + s·B·A (out, in) in fp32, for export and for checking merges. */
    public INDArray mergedWeight() {
        INDArray w = base.stored().toDense(module.a().dataType());
        return w.addi(module.delta());
    }

}
