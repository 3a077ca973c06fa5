package io.lora4j.trainer.dist;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Executors;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;

/** Which device a task's Spark resources name, and that the CPU backend is never "bound". */
class GpuBindingTest {
    static Map<String, ResourceInformation> gpus(String... addresses) {
        return Map.of("gpu", new ResourceInformation("gpu", addresses));
    }

    @Test
    void theFirstAssignedAddressIsTheDevice() {
        assertEquals(OptionalInt.of(3), GpuBinding.deviceFor(gpus("3")));
        assertEquals(OptionalInt.of(1), GpuBinding.deviceFor(gpus("1", "2")));
        assertEquals(OptionalInt.empty(), GpuBinding.deviceFor(Map.of()));
        assertEquals(OptionalInt.empty(), GpuBinding.deviceFor(gpus()));
    }

    /** Under CUDA_VISIBLE_DEVICES the process numbers its GPUs 0, 1, … in the list's order. */
    @Test
    void machineIndicesAndUuidsAreTranslatedThroughCudaVisibleDevices() {
        assertEquals(OptionalInt.of(1), GpuBinding.deviceFor(gpus("5"), "4,5"));
        assertEquals(OptionalInt.of(0), GpuBinding.deviceFor(gpus("6", "7"), " 6 , 7"));
        assertEquals(OptionalInt.of(2), GpuBinding.deviceFor(gpus("GPU-5f3a"), "GPU-11aa,GPU-22bb,GPU-5f3a"));
        // an address not in the list is already this process's ordinal (discovered inside the container)
        assertEquals(OptionalInt.of(0), GpuBinding.deviceFor(gpus("0"), "3"));
        assertEquals(OptionalInt.of(3), GpuBinding.deviceFor(gpus("3"), ""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GpuBinding.deviceFor(gpus("GPU-9"), "GPU-1"));
        assertTrue(e.getMessage().contains("GPU-9") && e.getMessage().contains("CUDA_VISIBLE_DEVICES=GPU-1"), e.getMessage());
    }

    @Test
    void anAddressThatIsNotAnOrdinalIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GpuBinding.deviceFor(gpus("GPU-5f3a")));
        assertTrue(e.getMessage().contains("'GPU-5f3a'") && e.getMessage().contains("discovery script"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GpuBinding.deviceFor(gpus("-1")));
    }

    @Test
    void onTheCpuBackendNothingIsBound() {
        assertFalse(GpuBinding.cudaBackend());
        assertEquals("CPU backend: no GPU binding", GpuBinding.bindTask()); // no TaskContext outside Spark
        var base = Executors.defaultThreadFactory();
        assertSame(base, GpuBinding.threads(OptionalInt.of(0), base));
    }

    @Test
    void ncclIsRefusedOnTheCpuBackendAndUnknownBackendsAreNamed() {
        Rendezvous rv = Rendezvous.bindEphemeral("127.0.0.1");
        try (TcpRingCommunicator ring = rv.connect(0, java.util.List.of(rv.address()), RingOptions.defaults())) {
            assertSame(ring, GpuBinding.forBackend("tcp", ring));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> GpuBinding.forBackend("nccl", ring));
            assertTrue(e.getMessage().contains("mvn -Pcuda"), e.getMessage());
            IllegalArgumentException u = assertThrows(IllegalArgumentException.class, () -> GpuBinding.forBackend("mpi", ring));
            assertTrue(u.getMessage().contains("mpi") && u.getMessage().contains("tcp or nccl"), u.getMessage());
        }
    }
}
