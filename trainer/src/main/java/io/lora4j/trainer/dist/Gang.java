package io.lora4j.trainer.dist;

import io.lora4j.core.compute.ComputeThreads;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The training gang: one Spark barrier stage with one long-lived task per worker. The tasks exchange their ring
 * addresses once (BarrierTaskContext.allGather), connect a {@link TcpRingCommunicator} through a {@link Rendezvous},
 * and run the worker body. If any task fails the stage fails as a whole; the driver then starts the gang again, up to {@code maxAttempts} times,
 * and the body resumes from the newest checkpoint (attempt ≥ 2), so no sample is skipped or repeated.
 */
public final class Gang {
    /** What each worker runs; must be serializable (it is shipped to executors). */
    @FunctionalInterface
    public interface Worker extends Serializable {
        String run(Communicator comm, boolean resume) throws Exception;
    }

    /** Spark's job property (SparkContext.SPARK_JOB_INTERRUPT_ON_CANCEL): interrupt task threads when the job is cancelled. */
    static final String INTERRUPT_ON_CANCEL = "spark.job.interruptOnCancel";

    private Gang() {}

    public static List<String> run(SparkSession spark, int workers, int maxAttempts, boolean resume, int timeoutMillis, Worker worker) {
        return run(spark, workers, maxAttempts, resume, timeoutMillis, "tcp", worker);
    }

    /** @param backend tcp (the ring carries everything) or nccl (gradients through NCCL, control through the ring) */
    public static List<String> run(SparkSession spark, int workers, int maxAttempts, boolean resume, int timeoutMillis, String backend, Worker worker) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Exception last = null;
        // When the gang's job fails, Spark kills the tasks still running; with this property it also interrupts their
        // threads, so a member stuck waiting (not only one that died) ends and frees its slot for the next attempt.
        String interruptBefore = sc.getLocalProperty(INTERRUPT_ON_CANCEL);
        sc.setLocalProperty(INTERRUPT_ON_CANCEL, "true");
        try {
            for (int attempt = 1; attempt <= maxAttempts; attempt++) {
                boolean resumeNow = resume || attempt > 1;
                try {
                    Object rows = sc.parallelize(IntStream.range(0, workers).boxed().toList(), workers).rdd().barrier()
                            .mapPartitions(new Member(worker, resumeNow, timeoutMillis, backend), false, scala.reflect.ClassTag$.MODULE$.apply(String.class)).collect();
                    List<String> out = new ArrayList<>();
                    for (Object o : (Object[]) rows) out.add((String) o);
                    return out;
                } catch (Exception e) { // SparkException (checked in Java, thrown through Scala) or a runtime failure
                    last = e;
                    System.err.printf("lora4j: training gang attempt %d of %d failed: %s%n", attempt, maxAttempts, rootMessage(e));
                }
            }
        } finally {
            sc.setLocalProperty(INTERRUPT_ON_CANCEL, interruptBefore);
        }
        throw new IllegalStateException("training gang failed " + maxAttempts + " times; last error: " + rootMessage(last), last);
    }

    /** The body of one barrier task (a Scala function, as RDDBarrier.mapPartitions wants). */
    private static final class Member extends scala.runtime.AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<String>>
            implements Serializable {
        private final Worker worker;
        private final boolean resume;
        private final int timeoutMillis;
        private final String backend;

        Member(Worker worker, boolean resume, int timeoutMillis, String backend) {
            this.worker = worker;
            this.resume = resume;
            this.timeoutMillis = timeoutMillis;
            this.backend = backend;
        }

        @Override
        public scala.collection.Iterator<String> apply(scala.collection.Iterator<Integer> ignored) {
            try {
                BarrierTaskContext ctx = BarrierTaskContext.get();
                int rank = ctx.partitionId();
                System.err.println("lora4j gang rank " + rank + ": " + GpuBinding.bindTask() + "; " + ComputeThreads.limitTo(ctx.cpus()));
                String host = InetAddress.getLocalHost().getHostAddress();
                // listen on all interfaces, advertise this host's address; Spark's allGather is the one exchange
                try (Rendezvous rv = Rendezvous.bindEphemeral("0.0.0.0", host)) {
                    String[] all = ctx.allGather(rv.addressString());
                    List<InetSocketAddress> peers = new ArrayList<>();
                    for (String a : all) peers.add(Rendezvous.parse(a));
                    // Spark may retry the barrier stage itself: a retried task resumes from the checkpoint too
                    boolean r = resume || ctx.stageAttemptNumber() > 0;
                    // the session id keeps a straggler of another stage attempt out of this ring
                    RingOptions opts = RingOptions.defaults()
                            .withConnectTimeout(Duration.ofMillis(timeoutMillis)).withIoTimeout(Duration.ofMillis(timeoutMillis))
                            .withSessionId(((long) ctx.stageId() << 32) | ctx.stageAttemptNumber());
                    try (Communicator comm = GpuBinding.forBackend(backend, rv.connect(rank, peers, opts))) {
                        return scala.jdk.javaapi.CollectionConverters.asScala(List.of(worker.run(comm, r)).iterator());
                    }
                }
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
    }

    static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
