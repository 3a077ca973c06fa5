package io.lora4j.trainer.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Three ranks as three JVM processes: the ring must work across processes exactly as between threads. */
class TcpRingProcessTest {

    @Test
    void threeProcessesAllReduceToTheExactSumAndAgreeByteForByte() throws Exception {
        int world = 3;
        int[] sizes = {1, 1000, (1 << 20) + 3};
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> args = new ArrayList<>();
        for (int n : sizes) args.add(Integer.toString(n));
        List<List<String>> out;
        try (ProcessGang gang = ProcessGang.start(world, cp, List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"),
                RingProcessMain.class.getName(), args)) {
            out = gang.await(120, TimeUnit.SECONDS);
        }
        List<String> expected = new ArrayList<>();
        for (int n : sizes) {
            float[][] bufs = TcpRingAllReduceTest.integerData(world, n);
            float[] sum = new float[n];
            for (int i = 0; i < n; i++) {
                long s = 0;
                for (int r = 0; r < world; r++) s += (long) bufs[r][i];
                sum[i] = s;
            }
            expected.add("RESULT " + n + " " + RingProcessMain.sha256(sum));
        }
        expected.add("GATHER [0, 10, 20]");
        for (int r = 0; r < world; r++) assertEquals(expected, out.get(r), "stdout of rank " + r);
    }
}
