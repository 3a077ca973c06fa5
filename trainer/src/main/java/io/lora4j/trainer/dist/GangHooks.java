package io.lora4j.trainer.dist;

import io.lora4j.trainer.GradientAccumulator;
import io.lora4j.trainer.Trainer;
import io.lora4j.trainer.params.TrainableParameters;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Trainer hooks of one gang member: sums the flat gradient and the loss totals over the ring in one fused buffer
 * per step, and every {@code checkEvery} steps compares a checksum of the trainable parameters across ranks (the
 * optimizer runs identically everywhere, so they must agree bit for bit).
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
        float[] g = params.gradients().castTo(DataType.FLOAT).toFloatVector();
        int n = g.length;
        float[] buf = Arrays.copyOf(g, n + 3);
        buf[n] = (float) local.lossSum();
        buf[n + 1] = local.tokens();
        buf[n + 2] = local.realTokens();
        comm.allReduceSum(buf);
        params.gradients().assign(Nd4j.createFromArray(Arrays.copyOf(buf, n)).castTo(params.gradients().dataType()));
        return new GradientAccumulator.Totals(buf[n], (long) buf[n + 1], (long) buf[n + 2]);
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
