package io.lora4j.trainer.params;

import io.lora4j.core.model.GradientSink;
import io.lora4j.core.model.LlamaModel;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the trainer updates: one flat parameter buffer and one flat gradient buffer (per-tensor views inside), and the
 * model that computes with them. LoRA adapters and full fine-tuning both present themselves this way, so the loop,
 * the all-reduce, the optimizer and the checkpoints do not care which one is training.
 */
public interface TrainableParameters {

    /** One named tensor inside the flat buffers. */
    record Segment(String name, long offset, long[] shape) {
        public long length() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }
    }

    /** The model to run forward/backward (base weights plus whatever is trainable). */
    LlamaModel model();

    /** Where the backward pass puts gradients of tensors that are not behind a projection. */
    GradientSink sink();

    INDArray parameters();

    INDArray gradients();

    List<Segment> segments();

    /** Training mode (dropout on) with masks fixed by {@code seed}, or evaluation mode. */
    void setMode(boolean training, long seed);

    default void zeroGradients() {
        gradients().assign(0);
    }
}
