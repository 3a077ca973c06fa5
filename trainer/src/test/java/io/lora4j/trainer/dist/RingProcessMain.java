package io.lora4j.trainer.dist;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;

/**
 * One rank of {@link TcpRingProcessTest}: joins the ring through {@link ProcessGang}, all-reduces integer-valued
 * data of each requested size, and prints {@code RESULT size sha256} of the result bytes plus the gathered ranks.
 * Args: rank world size…
 */
public final class RingProcessMain {
    private RingProcessMain() {}

    public static void main(String[] args) throws Exception {
        int rank = Integer.parseInt(args[0]), world = Integer.parseInt(args[1]);
        RingOptions opts = RingOptions.defaults().withFrameBytes(64 << 10).withIoTimeout(Duration.ofSeconds(60));
        try (TcpRingCommunicator comm = ProcessGang.join(rank, world, opts, System.out)) {
            for (int a = 2; a < args.length; a++) {
                int n = Integer.parseInt(args[a]);
                float[] data = new float[n];
                for (int i = 0; i < n; i++) data[i] = TcpRingAllReduceTest.value(rank, i);
                comm.allReduceSum(data);
                System.out.println("RESULT " + n + " " + sha256(data));
            }
            long[] ranks = comm.allGatherLong(rank * 10L);
            System.out.println("GATHER " + java.util.Arrays.toString(ranks));
            comm.barrier();
        }
    }

    static String sha256(float[] data) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(data.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return HexFormat.of().formatHex(md.digest(b.array()));
    }
}
