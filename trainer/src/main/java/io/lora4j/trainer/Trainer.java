package io.lora4j.trainer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.proto.DataCursor;
import io.lora4j.core.proto.ScheduleState;
import io.lora4j.core.proto.TrainingState;
import io.lora4j.trainer.data.BatchPlan;
import io.lora4j.trainer.data.MicroBatch;
import io.lora4j.data.TokenizedExample;
import io.lora4j.trainer.params.TrainableParameters;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongToDoubleFunction;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The training loop: global batches from a {@link BatchPlan}, gradient accumulation over micro-batches, clipping,
 * an optimizer step, periodic evaluation, samples and checkpoints, and exact resumption from the newest checkpoint.
 *
 * <p>Everything random derives from (seed, step), and the data position lives in the checkpoint, so a resumed run
 * reproduces the uninterrupted run's loss curve and final weights exactly.
 */
public final class Trainer {

    /** Optional hooks: sample generations at evaluations, gradient all-reduce for distributed runs. */
    public interface Hooks {
        default List<String> samples(TrainableParameters params) {
            return List.of();
        }

        /** Sums the flat gradient and the loss totals over workers (identity for one worker). */
        default GradientAccumulator.Totals allReduce(TrainableParameters params, GradientAccumulator.Totals local) {
            return local;
        }

        /** Sums evaluation totals over workers (identity for one worker). */
        default GradientAccumulator.Totals allReduceTotals(GradientAccumulator.Totals local) {
            return local;
        }

        /** Called after every optimizer step (e.g. to compare parameter checksums across workers). */
        default void afterStep(long step, TrainableParameters params) {
        }

        default boolean isLeader() {
            return true;
        }

        default int rank() {
            return 0;
        }

        default int worldSize() {
            return 1;
        }
    }

    /** What a finished run reports. */
    public record Result(long steps, double firstValLoss, double lastValLoss, double lastTrainLoss, double tokensPerSecond, long tokensSeen) {}

    /**
     * Where this rank's training-step time went, summed over the steps it ran: building its micro-batches (data),
     * forward + backward (compute), the gradient all-reduce (communication), clipping + optimizer + the cross-rank
     * check (optimizer). Evaluation and checkpoints are outside these.
     */
    public record PhaseTimes(long steps, long dataNanos, long computeNanos, long allReduceNanos, long optimizerNanos) {
        public static final PhaseTimes ZERO = new PhaseTimes(0, 0, 0, 0, 0);

        PhaseTimes plus(long data, long compute, long allReduce, long optimizer) {
            return new PhaseTimes(steps + 1, dataNanos + data, computeNanos + compute, allReduceNanos + allReduce, optimizerNanos + optimizer);
        }
    }

    private PhaseTimes phases = PhaseTimes.ZERO;

    /** This rank's step-time breakdown so far. */
    public PhaseTimes phaseTimes() {
        return phases;
    }

    private final TrainConfig cfg;
    private final TrainableParameters params;
    private final ParameterOptimizer optimizer;
    private final LongToDoubleFunction schedule;
    private final List<TokenizedExample> train;
    private final List<TokenizedExample> val;
    private final int padId;
    private final String runDir;
    private final Hooks hooks;
    private final PrintStream log;
    private final CheckpointStore checkpoints;
    private final MetricsLog metrics;
    private final BatchPlan plan;
    private final long totalSteps;
    private final String settings;
    private boolean showProgress = true;

    public Trainer(TrainConfig cfg, TrainableParameters params, ParameterOptimizer optimizer, LongToDoubleFunction schedule,
                   List<TokenizedExample> train, List<TokenizedExample> val, int padId, String runDir, String settings,
                   Hooks hooks, PrintStream log) {
        this.cfg = cfg;
        this.params = params;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.train = train;
        this.val = val;
        this.padId = padId;
        this.runDir = runDir;
        this.settings = settings;
        this.hooks = hooks;
        this.log = log;
        this.checkpoints = new CheckpointStore(runDir, cfg.keepCheckpoints());
        this.metrics = new MetricsLog(runDir);
        this.plan = new BatchPlan(train.size(), cfg.batch(), cfg.microBatch(), cfg.seed());
        this.totalSteps = totalSteps(cfg, train.size());
    }

    public static long totalSteps(TrainConfig cfg, int trainSize) {
        return cfg.totalSteps(trainSize);
    }

    public Trainer showProgress(boolean on) {
        this.showProgress = on;
        return this;
    }

    public long totalSteps() {
        return totalSteps;
    }

    public CheckpointStore checkpoints() {
        return checkpoints;
    }

    /**
     * Runs to {@code stopAfter} steps (or the end), resuming from the newest checkpoint when {@code resume} is set.
     * Returns when done; a NaN/inf loss throws {@link NonFiniteLossException}.
     */
    public Result run(boolean resume, long stopAfter) throws IOException {
        long step = 0, tokensSeen = 0;
        int epoch = 0;
        long batchInEpoch = 0;
        String lastCheckpoint = null;
        if (resume) {
            Optional<TrainingState> s = checkpoints.latest();
            if (s.isPresent()) {
                TrainingState st = s.get();
                ResumeCheck.require(st, settings, checkpoints.directory());
                CheckpointStore.restoreTensors(params, st.getAdapterList());
                optimizer.restore(st.getOptimizer());
                step = st.getStep();
                epoch = st.getCursor().getEpoch();
                batchInEpoch = st.getCursor().getBatchInEpoch();
                tokensSeen = st.getTokensSeen();
                lastCheckpoint = checkpoints.directory() + "/step-" + step;
                if (hooks.isLeader()) {
                    metrics.truncateAfter(step);
                    log.printf("resuming from step %d of %d (epoch %d, batch %d)%n", step, totalSteps, epoch, batchInEpoch);
                }
            } else if (hooks.isLeader()) {
                log.println("no checkpoint in " + checkpoints.directory() + "; starting from step 0");
            }
        }
        long end = Math.min(totalSteps, stopAfter);
        double firstVal = Double.NaN, lastVal = Double.NaN, lastTrain = Double.NaN;
        if (step == 0) {
            firstVal = evaluate(0);
        }
        // a live bar on a terminal; written to a file or a CI log, plain lines (no cursor codes), about 20 per run
        boolean terminal = System.console() != null;
        ProgressBar bar = showProgress && hooks.isLeader() && terminal ? new ProgressBarBuilder().setTaskName("train").setInitialMax(totalSteps)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer(log))
                .showSpeed(new java.text.DecimalFormat("0.00")).setSpeedUnit(java.time.temporal.ChronoUnit.SECONDS).build() : null;
        long lineEvery = Math.max(1, totalSteps / 20);
        double sessionTokens = 0, sessionStepSeconds = 0;
        try {
            if (bar != null) bar.stepTo(step);
            while (step < end) {
                long t0 = System.nanoTime();
                List<int[]> all = plan.microBatches(epoch, (int) batchInEpoch);
                long globalTokens = 0;
                for (int[] idx : all) for (int i : idx) globalTokens += train.get(i).countedTokens();
                List<MicroBatch> mine = new ArrayList<>();
                for (int[] idx : plan.microBatchesFor(epoch, (int) batchInEpoch, hooks.rank(), hooks.worldSize())) {
                    List<TokenizedExample> ex = new ArrayList<>();
                    for (int i : idx) ex.add(train.get(i));
                    mine.add(MicroBatch.of(ex, padId, 1));
                }
                long tData = System.nanoTime();
                params.zeroGradients();
                GradientAccumulator.Totals totals = GradientAccumulator.accumulate(params, mine, Math.max(1, globalTokens),
                        dropoutSeed(step), hooks.rank(), hooks.worldSize(), cfg.recompute());
                long tCompute = System.nanoTime();
                totals = hooks.allReduce(params, totals);
                long tReduce = System.nanoTime();
                double loss = totals.tokens() > 0 ? totals.lossSum() / totals.tokens() : Double.NaN;
                if (totals.tokens() > 0 && !Double.isFinite(loss)) throw new NonFiniteLossException(step + 1, loss, lastCheckpoint);
                double gradNorm = params.gradients().norm2Number().doubleValue();
                if (!Double.isFinite(gradNorm)) throw new NonFiniteLossException(step + 1, gradNorm, lastCheckpoint);
                if (cfg.gradClip() > 0 && gradNorm > cfg.gradClip()) params.gradients().muli(cfg.gradClip() / gradNorm);
                double lr = schedule.applyAsDouble(step);
                optimizer.step(lr);
                step++;
                hooks.afterStep(step, params);
                long tOptimizer = System.nanoTime();
                phases = phases.plus(tData - t0, tCompute - tData, tReduce - tCompute, tOptimizer - tReduce);
                tokensSeen += totals.realTokens();
                if (++batchInEpoch == plan.batchesPerEpoch()) {
                    epoch++;
                    batchInEpoch = 0;
                }
                lastTrain = loss;
                double seconds = (System.nanoTime() - t0) / 1e9;
                double tokPerS = totals.realTokens() / Math.max(seconds, 1e-9);
                if (hooks.isLeader()) {
                    ObjectNode m = metrics.line("train", step);
                    m.put("epoch", epoch).put("loss", loss).put("lr", lr).put("grad_norm", gradNorm)
                            .put("tokens", totals.realTokens()).put("tokens_per_s", tokPerS).put("step_s", seconds);
                    metrics.add(m);
                }
                sessionTokens += totals.realTokens();
                sessionStepSeconds += seconds;
                if (bar != null) {
                    bar.stepTo(step);
                    bar.setExtraMessage(String.format(" loss %.4f lr %.2e %,.0f tok/s", loss, lr, tokPerS));
                } else if (showProgress && hooks.isLeader() && (step % lineEvery == 0 || step == end)) {
                    log.printf("step %d/%d  loss %.4f  lr %.2e  %,.0f tokens/s%n", step, totalSteps, loss, lr, tokPerS);
                }
                boolean last = step == totalSteps;
                if ((cfg.evalEvery() > 0 && step % cfg.evalEvery() == 0) || last) lastVal = evaluate(step);
                if ((cfg.saveEvery() > 0 && step % cfg.saveEvery() == 0) || last || step == end) {
                    lastCheckpoint = save(step, epoch, batchInEpoch, tokensSeen, loss);
                }
            }
        } finally {
            if (bar != null) bar.close();
            if (hooks.isLeader()) metrics.flush();
        }
        double throughput = sessionStepSeconds > 0 ? throughput(sessionTokens, sessionStepSeconds) : 0;
        if (hooks.isLeader() && sessionStepSeconds > 0) {
            ObjectNode m = metrics.line("summary", step);
            m.put("tokens", sessionTokens).put("step_s", sessionStepSeconds).put("tokens_per_s", throughput);
            metrics.add(m);
            metrics.flush();
        }
        return new Result(step, firstVal, lastVal, lastTrain, throughput, tokensSeen);
    }

    /**
     * The one throughput figure (console, metrics.jsonl's summary line, report.html): trained tokens over the time
     * of the training steps themselves, evaluations and checkpoints left out.
     */
    public static double throughput(double tokens, double stepSeconds) {
        return tokens / Math.max(stepSeconds, 1e-9);
    }

    private long dropoutSeed(long step) {
        return cfg.seed() * 0x5DEECE66DL + step * 1_000_003L;
    }

    private String save(long step, int epoch, long batchInEpoch, long tokensSeen, double loss) throws IOException {
        if (!hooks.isLeader()) return null;
        TrainingState state = TrainingState.newBuilder()
                .setFormatVersion(1)
                .setStep(step)
                .setCursor(DataCursor.newBuilder().setEpoch(epoch).setBatchInEpoch(batchInEpoch).build())
                .setSchedule(ScheduleState.newBuilder().setKind(cfg.schedule().key()).setTotalSteps(totalSteps).setBaseLr(cfg.lr()).build())
                .addAllAdapter(CheckpointStore.tensors(params))
                .setOptimizer(optimizer.toProto())
                .setConfigHash(ResumeCheck.hash(settings)).setTrajectorySettings(settings)
                .setLastLoss(loss)
                .setTokensSeen(tokensSeen)
                .setSeed(cfg.seed())
                .build();
        metrics.flush();
        return checkpoints.save(state);
    }

    /** Validation loss (token-weighted mean) and, on the leader, sample generations; logged to metrics. */
    private double evaluate(long step) throws IOException {
        List<TokenizedExample> v = cfg.maxEvalExamples() > 0 && val.size() > cfg.maxEvalExamples() ? val.subList(0, cfg.maxEvalExamples()) : val;
        if (v.isEmpty()) return Double.NaN;
        List<MicroBatch> mine = new ArrayList<>();
        int idx = 0;
        for (int s = 0; s < v.size(); s += cfg.microBatch(), idx++) {
            if (idx % hooks.worldSize() != hooks.rank()) continue;
            mine.add(MicroBatch.of(v.subList(s, Math.min(s + cfg.microBatch(), v.size())), padId, 1));
        }
        GradientAccumulator.Totals totals = GradientAccumulator.evaluate(params, mine);
        totals = hooks.allReduceTotals(totals);
        double loss = totals.tokens() > 0 ? totals.lossSum() / totals.tokens() : Double.NaN;
        if (hooks.isLeader()) {
            ObjectNode m = metrics.line("eval", step);
            m.put("val_loss", loss).put("val_tokens", totals.tokens());
            List<String> samples = hooks.samples(params);
            if (!samples.isEmpty()) m.putPOJO("samples", samples);
            metrics.add(m);
            metrics.flush();
            log.printf("%nstep %d: validation loss %.4f%n", step, loss);
        }
        return loss;
    }
}
