package io.lora4j.trainer;

import io.lora4j.core.compute.Workspaces;
import io.lora4j.core.model.CausalLmLoss;
import io.lora4j.core.model.LlamaBackward;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.trainer.data.MicroBatch;
import io.lora4j.trainer.params.TrainableParameters;
import java.util.List;
import org.nd4j.linalg.api.memory.MemoryWorkspace;

/**
 * Forward + backward over this worker's micro-batches of one global batch, accumulating into the flat gradient.
 *
 * <p>The loss of a global batch is the mean over all its counted tokens (on all workers), so each micro-batch's
 * gradient is weighted by its share of the global token count. The summed gradient is then identical however the
 * global batch is cut into micro-batches or spread over workers (up to float summation order). Packed rows are kept
 * apart ({@link MicroBatch#segments}), so a packed micro-batch's gradient is the sum of its examples' gradients alone.
 */
public final class GradientAccumulator {
    private GradientAccumulator() {}

    /** Sum over micro-batches of (per-token loss sum) and token counts; the loss of the batch is lossSum / tokens. */
    public record Totals(double lossSum, long tokens, long realTokens) {
        public Totals plus(Totals o) {
            return new Totals(lossSum + o.lossSum, tokens + o.tokens, realTokens + o.realTokens);
        }
    }

    /**
     * @param globalTokens counted tokens of the whole global batch (all workers)
     * @param dropoutSeed  base seed of this step's dropout masks (micro-batch i uses dropoutSeed + i)
     * @param firstMicroIndex global index of this worker's first micro-batch, for the dropout seed
     * @param microStride  distance between this worker's micro-batch indices (the world size)
     */
    public static Totals accumulate(TrainableParameters params, List<MicroBatch> micros, long globalTokens, long dropoutSeed,
                                    int firstMicroIndex, int microStride) {
        return accumulate(params, micros, globalTokens, dropoutSeed, firstMicroIndex, microStride, false);
    }

    /** As above; with {@code recompute} each block's activations are recomputed in the backward pass. */
    public static Totals accumulate(TrainableParameters params, List<MicroBatch> micros, long globalTokens, long dropoutSeed,
                                    int firstMicroIndex, int microStride, boolean recompute) {
        LlamaModel model = params.model();
        double lossSum = 0;
        long tokens = 0, real = 0;
        for (int i = 0; i < micros.size(); i++) {
            MicroBatch mb = micros.get(i);
            real += mb.realTokens();
            if (mb.countedTokens() == 0) continue;
            params.setMode(true, dropoutSeed + firstMicroIndex + (long) i * microStride);
            try (MemoryWorkspace ws = Workspaces.step("lora4j-train")) {
                // the logits are never held whole: loss and output backward run in row chunks from the final hidden state
                LlamaModel.Forward fwd = model.hidden(mb.tokens(), mb.segments(), true, recompute);
                CausalLmLoss.HiddenResult res = LlamaBackward.lossAndBackward(model, fwd, mb.tokens(), mb.labels(), 1.0 / globalTokens, params.sink());
                lossSum += res.loss() * res.count();
                tokens += res.count();
            }
        }
        return new Totals(lossSum, tokens, real);
    }

    /** Mean loss over examples without touching gradients (evaluation; dropout off). */
    public static Totals evaluate(TrainableParameters params, List<MicroBatch> micros) {
        params.setMode(false, 0);
        double lossSum = 0;
        long tokens = 0, real = 0;
        for (MicroBatch mb : micros) {
            real += mb.realTokens();
            if (mb.countedTokens() == 0) continue;
            try (MemoryWorkspace ws = Workspaces.step("lora4j-eval")) {
                LlamaModel.Forward fwd = params.model().hidden(mb.tokens(), mb.segments(), false, false);
                CausalLmLoss.HiddenResult res = CausalLmLoss.fromHidden(params.model().outputLinear(), fwd.xnFinal(), mb.labels(), false, 0, null);
                lossSum += res.loss() * res.count();
                tokens += res.count();
            }
        }
        return new Totals(lossSum, tokens, real);
    }
}
