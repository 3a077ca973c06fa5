package io.lora4j.export;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Manual: -Dtest=Bench7bManual -Dbench.layers=1 (not a SharedDataTest: never runs unasked, the class name does not match surefire's patterns). */
class Bench7bManual {
    @Test
    void run() throws Exception {
        int layers = Integer.getInteger("bench.layers", 1);
        var r = ExportMemoryBenchmark.run(Path.of(System.getProperty("bench.dir", "/tmp/stream-bench")), layers, System.getProperty("bench.shape", "7b"),
                System.getProperty("bench.type", "Q4_K_M"), System.getProperty("bench.xmx", "1200m"), 8, 2, Path.of("/work/shared/data/models/stories260K.gguf"));
        System.out.println("BENCH layers " + layers + " " + r);
    }
}
