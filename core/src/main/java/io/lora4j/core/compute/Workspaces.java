package io.lora4j.core.compute;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J workspaces for the hot loops. On the CPU backend, off-heap memory of ordinary arrays is only freed when the
 * Java wrapper is garbage-collected (STACK.md), so a training step that allocates its activations freely grows the
 * process by gigabytes and spends its time in page faults. Inside a workspace every temporary of one micro-batch is
 * carved from one reused block. Arrays created inside must not be kept after the scope closes.
 */
public final class Workspaces {
    private static final WorkspaceConfiguration STEP = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyLearning(LearningPolicy.OVER_TIME)
            .cyclesBeforeInitialization(1)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .overallocationLimit(0.1)
            .policySpill(SpillPolicy.REALLOCATE)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .build();

    private Workspaces() {}

    /** A nested per-block workspace (activation recomputation): reset for every block. */
    public static MemoryWorkspace layer() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(STEP, "lora4j-layer");
    }

    /**
     * A workspace nested in the per-block one for one part of a block's backward pass (the recomputed forward, the
     * feed-forward half, the attention half): opened for each part in turn, so its memory is the largest part's,
     * not their sum. Only what the next part needs is copied out ({@link #keep}).
     */
    public static MemoryWorkspace part() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(STEP, "lora4j-part");
    }

    /** A workspace for one adapter's dropped-out input (LoRA forward), reset after each projection. */
    public static MemoryWorkspace adapterInput() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(STEP, "lora4j-adapter-input");
    }

    /**
     * {@code a} in the workspace {@code outer} (a copy when it lives elsewhere, typically in the closing per-block
     * workspace), or detached into plain memory when {@code outer} is null; null stays null.
     */
    public static INDArray keep(INDArray a, MemoryWorkspace outer) {
        if (a == null) return null;
        return outer != null ? a.leverageTo(outer.getId()) : a.detach();
    }

    /** Opens (or re-enters) the per-thread workspace of one micro-batch; close it when the step's results are out. */
    public static MemoryWorkspace step(String name) {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(STEP, name);
    }
}
