package io.lora4j.trainer;

/** Training stopped because the loss became NaN or infinite; the last good checkpoint is left as it was. */
public final class NonFiniteLossException extends RuntimeException {
    public NonFiniteLossException(long step, double loss, String lastCheckpoint) {
        super("loss is " + loss + " at step " + step + "; training stopped. "
                + (lastCheckpoint != null ? "The last good checkpoint is " + lastCheckpoint + "." : "No checkpoint was written yet.")
                + " Lower train.lr, enable train.grad_clip, or check the data for empty or broken examples.");
    }
}
