package io.lora4j.trainer.dist;

import io.lora4j.trainer.GradientAccumulator;
import io.lora4j.trainer.Trainer;
import io.lora4j.trainer.params.TrainableParameters;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Trainer hooks of one gang member: sums the flat gradient buffer of all trainable tensors over the ring in place
 * (one collective per optimizer step, not one per tensor), then the three loss totals in a second tiny one; every
 * {@code checkEvery} steps it compares a checksum of the trainable parameters across ranks (the optimizer runs
 * identically everywhere, so they must agree bit for bit).
 */
public class GangHooks implements Trainer.Hooks {
    private final Communicator comm;
    private final int checkEvery;

    public GangHooks(Communicator comm, int checkEvery) {
        this.comm = comm;
        this.checkEvery = checkEvery;
    }

    @Override
    public GradientAccumulator.Totals allReduce(TrainableParameters params, GradientAccumulator.Totals local) {
        INDArray g = params.gradients();
        if (g.dataType() == DataType.FLOAT && (g.length() <= 1 || g.elementWiseStride() == 1)) {
            comm.allReduceSum(g); // in place on ND4J's own buffer: no copy of the gradients
        } else { // a non-FLOAT or strided buffer goes through a FLOAT copy
            INDArray f = g.castTo(DataType.FLOAT).dup();
            comm.allReduceSum(f);
            g.assign(f.castTo(g.dataType()));
        }
        return allReduceTotals(local);
    }

    @Override
    public GradientAccumulator.Totals allReduceTotals(GradientAccumulator.Totals local) {
        float[] buf = {(float) local.lossSum(), local.tokens(), local.realTokens()};
        comm.allReduceSum(buf);
        return new GradientAccumulator.Totals(buf[0], (long) buf[1], (long) buf[2]);
    }

    @Override
    public void afterStep(long step, TrainableParameters params) {
        if (checkEvery <= 0 || step % checkEvery != 0) return;
        long sum = 0;
        for (float f : params.parameters().castTo(DataType.FLOAT).toFloatVector()) sum = sum * 31 + Float.floatToRawIntBits(f);
        long[] all = comm.allGatherLong(sum);
        for (int r = 1; r < all.length; r++) {
            if (all[r] != all[0]) {
                throw new IllegalStateException("adapter checksum of rank " + r + " differs from rank 0 at step " + step
                        + ": the workers diverged (different code, data or configuration on some executor); stopping");
            }
        }
    }

    @Override
    public boolean isLeader() {
        return comm.rank() == 0;
    }

    @Override
    public int rank() {
        return comm.rank();
    }

    @Override
    public int worldSize() {
        return comm.worldSize();
    }
}
