package io.lora4j.trainer.dist;

import java.util.Arrays;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ThreadFactory;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Binds ND4J to the GPU Spark assigned a gang task ({@code spark.task.resource.gpu.amount}, visible as the task's
 * "gpu" resource addresses). ND4J's CUDA backend keeps the device per Java thread, so the task thread is bound here
 * and {@link #threads} binds any thread the worker starts. On the CPU backend, or when Spark assigned no GPU, nothing
 * is bound.
 */
public final class GpuBinding {
    private GpuBinding() {}

    /** The device ordinal for a task's resources, with this process's CUDA_VISIBLE_DEVICES. */
    static OptionalInt deviceFor(Map<String, ResourceInformation> resources) {
        return deviceFor(resources, System.getenv("CUDA_VISIBLE_DEVICES"));
    }

    /**
     * The CUDA ordinal (as this process numbers its devices) of the first "gpu" address Spark assigned the task. Spark's
     * discovery script reports the machine's GPU indices (or UUIDs); when the executor runs with CUDA_VISIBLE_DEVICES
     * (YARN and Kubernetes set it for isolated containers, as do some launch scripts), CUDA renumbers the visible GPUs
     * 0, 1, … in that list's order, so an address found in the list maps to its position there. An address not in
     * the list is taken as an ordinal already (a discovery script run inside the container).
     */
    static OptionalInt deviceFor(Map<String, ResourceInformation> resources, String cudaVisibleDevices) {
        ResourceInformation gpu = resources.get("gpu");
        if (gpu == null || gpu.addresses().length == 0) return OptionalInt.empty();
        String first = gpu.addresses()[0].trim();
        if (cudaVisibleDevices != null && !cudaVisibleDevices.isBlank()) {
            String[] visible = cudaVisibleDevices.split(",");
            for (int i = 0; i < visible.length; i++) if (visible[i].trim().equals(first)) return OptionalInt.of(i);
        }
        try {
            int ordinal = Integer.parseInt(first);
            if (ordinal < 0) throw new NumberFormatException();
            return OptionalInt.of(ordinal);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Spark assigned this task the GPU address '" + first + "' (all: " + Arrays.toString(gpu.addresses())
                    + ", CUDA_VISIBLE_DEVICES=" + cudaVisibleDevices + "); expected a CUDA device ordinal (0, 1, …) or an entry of"
                    + " CUDA_VISIBLE_DEVICES: check the GPU discovery script of the workers");
        }
    }

    /** True when ND4J runs on its CUDA backend. */
    static boolean cudaBackend() {
        return Nd4j.getBackend().getClass().getName().toLowerCase().contains("cuda");
    }

    /** The GPU Spark assigned the calling task, if any. */
    public static OptionalInt taskDevice() {
        TaskContext ctx = TaskContext.get();
        return ctx == null ? OptionalInt.empty() : deviceFor(ctx.resourcesJMap());
    }

    /**
     * The gang's communicator for {@code backend}: the TCP ring itself, or NCCL for the gradients with the ring as
     * its control plane (which needs the CUDA backend and a GPU from Spark).
     */
    static Communicator forBackend(String backend, TcpRingCommunicator ring) {
        requireBackend(backend);
        if (backend == null || backend.equals("tcp")) return ring;
        OptionalInt device = taskDevice();
        return new NcclCommunicator(ring, device.orElse(0), ring.options().ioTimeout());
    }

    /**
     * Fails unless {@code backend} can run in this build: tcp always, nccl only on ND4J's CUDA backend. The driver
     * calls it before starting the gang (executors run the same jar), so a CPU build fails at once, not once per attempt.
     */
    public static void requireBackend(String backend) {
        if (backend == null || backend.equals("tcp")) return;
        if (!backend.equals("nccl")) throw new IllegalArgumentException("distributed.backend = " + backend + ": expected tcp or nccl");
        if (!cudaBackend()) {
            throw new IllegalStateException("distributed.backend = nccl needs ND4J's CUDA backend: build with mvn -Pcuda package and run on GPU executors");
        }
    }

    /** Binds the calling task thread; returns a line for the log. */
    public static String bindTask() {
        OptionalInt device = taskDevice();
        if (device.isEmpty()) return cudaBackend() ? "no GPU assigned by Spark: ND4J keeps its default device" : "CPU backend: no GPU binding";
        if (!cudaBackend()) return "Spark assigned GPU " + device.getAsInt() + " but ND4J runs on the CPU backend (build with -Pcuda): not bound";
        int n = Nd4j.getAffinityManager().getNumberOfDevices();
        if (device.getAsInt() >= n) {
            throw new IllegalStateException("Spark assigned GPU " + device.getAsInt() + " but ND4J sees " + n + " device(s) (CUDA_VISIBLE_DEVICES?)");
        }
        bind(device.getAsInt());
        return "bound ND4J to GPU " + device.getAsInt() + " of " + n;
    }

    static void bind(int device) {
        Nd4j.getAffinityManager().unsafeSetDevice(device);
    }

    /** A factory whose threads are bound to {@code device} before they run (for threads a worker starts itself). */
    public static ThreadFactory threads(OptionalInt device, ThreadFactory base) {
        if (device.isEmpty() || !cudaBackend()) return base;
        int d = device.getAsInt();
        return r -> base.newThread(() -> {
            bind(d);
            r.run();
        });
    }
}
