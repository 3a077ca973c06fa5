package io.lora4j.data;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.spark.SparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import scala.Tuple4;
import scala.collection.Iterator;

/**
 * Progress of the prepare job on the console, from Spark's listener bus: one line per stage with its name (the
 * step of the job that set it, see {@link #step}), tasks done / total and records. On a terminal it is a live
 * progress bar (Spark's own console bar is off, see {@link PrepareJob#localSession}); otherwise, as in logs, one
 * line per finished stage. Records are the stage's {@link #RECORDS} accumulator when the step counts them, else its
 * Parquet/text rows written, shuffle records written or read. The finished stages are kept for tests and the
 * benchmark's breakdown.
 */
public final class SparkProgress extends SparkListener implements AutoCloseable {
    /** Name of the accumulator a step increments once per record it handles (live through executor heartbeats). */
    public static final String RECORDS = "lora4j.records";

    /** A stage as seen so far. */
    public static final class Stage {
        public final int id;
        public final String name;
        public final int tasks;
        volatile int done, failed;
        volatile long records, accumulated, cpuNanos;
        final Map<Long, Long> liveByTask = new LinkedHashMap<>();
        long startNanos = System.nanoTime(), endNanos;
        ProgressBar bar;

        Stage(int id, String name, int tasks) {
            this.id = id;
            this.name = name;
            this.tasks = tasks;
        }

        public int done() {
            return done;
        }

        /** Records counted by the step's accumulator when it has one, else from task metrics. */
        public long records() {
            return accumulated > 0 ? accumulated : records;
        }

        /** CPU time of the stage's finished tasks (Spark's executor CPU time, deserialization included). */
        public double cpuSeconds() {
            return cpuNanos / 1e9;
        }

        public double seconds() {
            return ((endNanos == 0 ? System.nanoTime() : endNanos) - startNanos) / 1e9;
        }

        synchronized long live() {
            long n = accumulated;
            for (long v : liveByTask.values()) n += v;
            return n > 0 ? n : records;
        }
    }

    private final SparkContext sc;
    private final PrintStream out;
    private final boolean interactive;
    private final Map<Integer, Stage> running = new LinkedHashMap<>();
    private final List<Stage> finished = new ArrayList<>();
    private volatile boolean closed;

    private SparkProgress(SparkContext sc, PrintStream out, boolean interactive) {
        this.sc = sc;
        this.out = out;
        this.interactive = interactive;
    }

    /**
     * Starts showing progress on {@code out} (null: only record the stages); interactive: a live bar that redraws
     * in place, for a terminal. Close to stop listening.
     */
    public static SparkProgress attach(SparkContext sc, PrintStream out, boolean interactive) {
        SparkProgress p = new SparkProgress(sc, out, interactive);
        sc.addSparkListener(p);
        return p;
    }

    /** Names the stages of the jobs started next on this thread (Spark shows the call site otherwise). */
    public static void step(SparkContext sc, String name) {
        sc.setCallSite(name);
    }

    /** The stages finished so far, in the order they finished (after {@link #close()}, all of them). */
    public synchronized List<Stage> finished() {
        return List.copyOf(finished);
    }

    @Override
    public synchronized void onStageSubmitted(SparkListenerStageSubmitted e) {
        StageInfo i = e.stageInfo();
        Stage s = new Stage(i.stageId(), shortName(i.name()), i.numTasks());
        running.put(i.stageId(), s);
        if (out != null && interactive) {
            s.bar = new ProgressBarBuilder().setTaskName(s.name).setInitialMax(s.tasks).setUnit(" tasks", 1).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new InteractiveConsoleProgressBarConsumer(out)).continuousUpdate().build();
        }
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
        Stage s = running.get(e.stageId());
        if (s == null) return;
        long task = e.taskInfo().taskId();
        synchronized (s) {
            s.liveByTask.remove(task);
        }
        if (!e.taskInfo().successful()) {
            s.failed++;
            return;
        }
        s.done++;
        TaskMetrics m = e.taskMetrics();
        if (m != null) {
            long r = m.outputMetrics().recordsWritten();
            if (r == 0) r = m.shuffleWriteMetrics().recordsWritten();
            if (r == 0) r = m.shuffleReadMetrics().recordsRead();
            if (r == 0) r = m.inputMetrics().recordsRead();
            s.records += r;
            s.cpuNanos += m.executorCpuTime() + m.executorDeserializeCpuTime();
        }
        s.accumulated += records(e.taskInfo().accumulables().iterator());
        update(s);
    }

    @Override
    public synchronized void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate e) {
        Iterator<Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>>> it = e.accumUpdates().iterator();
        while (it.hasNext()) {
            Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> u = it.next();
            Stage s = running.get((Integer) u._2());
            if (s == null) continue;
            long n = records(u._4().iterator());
            synchronized (s) {
                s.liveByTask.put((Long) u._1(), n);
            }
            update(s);
        }
    }

    @Override
    public synchronized void onStageCompleted(SparkListenerStageCompleted e) {
        Stage s = running.remove(e.stageInfo().stageId());
        if (s == null) return;
        s.endNanos = System.nanoTime();
        synchronized (s) {
            s.liveByTask.clear();
        }
        boolean ok = e.stageInfo().failureReason().isEmpty();
        if (s.bar != null) {
            update(s);
            s.bar.close();
        } else if (out != null) {
            out.printf("  %-28s %d/%d tasks, %,d records, %.1f s%s%n", s.name, s.done, s.tasks, s.records(), s.seconds(),
                    ok ? "" : " (failed: " + firstLine(e.stageInfo().failureReason().get()) + ")");
        }
        finished.add(s);
    }

    /** Waits until the events of finished jobs have reached the listener (so the last stage is shown), then stops listening. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            sc.listenerBus().waitUntilEmpty(10_000);
        } catch (Exception e) {
            // timed out or stopped: show what arrived
        }
        sc.removeSparkListener(this);
        synchronized (this) {
            for (Stage s : running.values()) if (s.bar != null) s.bar.close();
            running.clear();
        }
    }

    private static void update(Stage s) {
        if (s.bar == null) return;
        s.bar.stepTo(s.done);
        s.bar.setExtraMessage(String.format(" %,d records", s.live()));
    }

    private static long records(Iterator<AccumulableInfo> it) {
        long n = 0;
        while (it.hasNext()) {
            AccumulableInfo a = it.next();
            if (a.name().isDefined() && RECORDS.equals(a.name().get()) && a.update().isDefined() && a.update().get() instanceof Long l) n += l;
        }
        return n;
    }

    /** "tokenize at PrepareJob.java:123" → "tokenize"; Spark's own call sites keep their operation name. */
    private static String shortName(String name) {
        int at = name.indexOf(" at ");
        return at > 0 ? name.substring(0, at) : name;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
