package io.lora4j.trainer.bench;

import io.lora4j.core.model.LinearFactory;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.WeightSource;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraConfig;
import io.lora4j.trainer.GradientAccumulator;
import io.lora4j.trainer.data.MicroBatch;
import io.lora4j.data.TokenizedExample;
import io.lora4j.trainer.params.LoraParameters;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code lora4j bench train}: LoRA training throughput against ND4J's own gemm peak on the same machine.
 *
 * <p>FLOPs counted per step: forward 2·N·P_base (P_base = parameters of the 7 projections per layer and the output
 * matrix), backward 2·N·P_base (input gradients through frozen weights only), attention 2·2·B·H·T²·hd forward and
 * twice that backward, and LoRA 2·N·r·(in+out) per adapted projection forward, three times that backward.
 */
public final class TrainBenchmark {
    private TrainBenchmark() {}

    public record Shape(String name, int dim, int layers, int heads, int ff, int vocab, int seq, int micro, int rank) {
        LlamaConfig config() {
            return new LlamaConfig(dim, ff, layers, heads, heads, dim / heads, vocab, seq, 1e-5f, 10000f, false);
        }
    }

    public static final Shape ISSUE = new Shape("d1024", 1024, 8, 16, 2816, 32000, 256, 4, 16);
    public static final Shape SMALL = new Shape("d256", 256, 8, 8, 688, 32000, 256, 4, 16);

    public static void main(String[] args) {
        run(System.out, List.of(ISSUE, SMALL), 3, 1);
    }

    public static void run(PrintStream out, List<Shape> shapes, int steps, int warmup) {
        int threads = Integer.parseInt(System.getenv().getOrDefault("OMP_NUM_THREADS", String.valueOf(Runtime.getRuntime().availableProcessors())));
        out.printf("lora4j bench train — %d BLAS/OpenMP thread(s), %d cores, ND4J %s%n", threads, Runtime.getRuntime().availableProcessors(),
                Nd4j.getBackend().getClass().getSimpleName());
        out.println("| model | recompute | gemm peak GFLOP/s | step s | tokens/s | train GFLOP/s | fraction of peak | activation workspaces MB | LoRA params | 8-bit optimizer bytes/param | peak RSS MB |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (Shape s : shapes) {
            LlamaConfig c = s.config();
            double peak = gemmPeak(c, s.micro() * s.seq());
            LlamaModel base = new LlamaModel(c, randomWeights(c), LinearFactory.FROZEN);
            LoraAdapter adapter = LoraAdapter.create(c, new LoraConfig(s.rank(), 2f * s.rank(), 0f, EnumSet.allOf(Projection.class), false), 1);
            LoraParameters params = new LoraParameters(base, adapter);
            List<MicroBatch> batch = List.of(randomBatch(c, s.micro(), s.seq()));
            long tokens = (long) s.micro() * s.seq();
            for (boolean recompute : new boolean[] {false, true}) {
                Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
                for (int i = 0; i < warmup; i++) step(params, batch, tokens, recompute);
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) step(params, batch, tokens, recompute);
                double sec = (System.nanoTime() - t0) / 1e9 / steps;
                double flops = trainingFlops(c, s.micro(), s.seq(), s.rank()) + (recompute ? forwardFlops(c, s.micro(), s.seq(), s.rank()) : 0);
                double achieved = flops / sec / 1e9;
                double stateBytesPerParam = 2 + 8.0 / 256; // two 1-byte codes + an fp32 absmax per 256-element block, per moment
                long wsBytes = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread("lora4j-train").getCurrentSize()
                        + (recompute ? Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread("lora4j-layer").getCurrentSize() : 0);
                out.printf("| %s (d %d, L %d, H %d, f %d, V %d, T %d, B %d, r %d) | %s | %.1f | %.2f | %.0f | %.1f | %.2f | %.0f | %,d | %.3f | %d |%n",
                        s.name(), s.dim(), s.layers(), s.heads(), s.ff(), s.vocab(), s.seq(), s.micro(), s.rank(), recompute ? "yes" : "no",
                        peak, sec, tokens / sec, achieved, achieved / peak, wsBytes / 1048576.0, adapter.parameterCount(), stateBytesPerParam, peakRssMb());
            }
        }
    }

    static void step(LoraParameters params, List<MicroBatch> batch, long tokens, boolean recompute) {
        params.zeroGradients();
        GradientAccumulator.accumulate(params, batch, tokens, 1, 0, 1, recompute);
        params.parameters().subi(params.gradients().mul(1e-4)); // the update itself is negligible next to the model
    }

    /** Training FLOPs of one micro-batch (see the class comment). */
    public static double trainingFlops(LlamaConfig c, int B, int T, int r) {
        double N = (double) B * T;
        double base = 0, lora = 0;
        for (Projection p : Projection.values()) {
            base += (double) p.inFeatures(c) * p.outFeatures(c);
            lora += (double) r * (p.inFeatures(c) + p.outFeatures(c));
        }
        base = base * c.nLayers() + (double) c.vocabSize() * c.dim();
        lora *= c.nLayers();
        double attention = 2.0 * 2 * B * c.nHeads() * (double) T * T * c.headDim() * c.nLayers();
        return 2 * N * base + 2 * N * base + attention * 3 + 2 * N * lora * 4;
    }

    /** The forward part alone (what recomputation adds): base, attention and LoRA forward FLOPs without the output layer. */
    static double forwardFlops(LlamaConfig c, int B, int T, int r) {
        double N = (double) B * T, base = 0, lora = 0;
        for (Projection p : Projection.values()) {
            base += (double) p.inFeatures(c) * p.outFeatures(c);
            lora += (double) r * (p.inFeatures(c) + p.outFeatures(c));
        }
        return (2 * N * (base + lora) + 2.0 * 2 * B * c.nHeads() * (double) T * T * c.headDim()) * c.nLayers();
    }

    /** Median GFLOP/s of Nd4j.gemm into a preallocated output over the model's matrix shapes (weighted by FLOPs). */
    static double gemmPeak(LlamaConfig c, int n) {
        int[][] shapes = {{n, c.dim(), c.dim()}, {n, c.hiddenDim(), c.dim()}, {n, c.dim(), c.hiddenDim()}, {n, c.vocabSize(), c.dim()}};
        double flops = 0, seconds = 0;
        for (int[] mkn : shapes) {
            INDArray a = Nd4j.rand(DataType.FLOAT, mkn[0], mkn[2]), w = Nd4j.rand(DataType.FLOAT, mkn[1], mkn[2]);
            INDArray y = Nd4j.create(DataType.FLOAT, mkn[0], mkn[1]);
            Nd4j.gemm(a, w, y, false, true, 1, 0);
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                Nd4j.gemm(a, w, y, false, true, 1, 0);
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            flops += 2.0 * mkn[0] * mkn[1] * mkn[2];
            seconds += best;
        }
        return flops / seconds / 1e9;
    }

    static LlamaWeights randomWeights(LlamaConfig c) {
        SplittableRandom r = new SplittableRandom(3);
        WeightSource src = new WeightSource() {
            public float[] read(String name, long... shape) {
                long n = 1;
                for (long d : shape) n *= d;
                float[] v = new float[(int) n];
                float std = name.contains("norm") ? 0 : (float) (1 / Math.sqrt(shape.length > 1 ? shape[1] : 1));
                for (int i = 0; i < v.length; i++) v[i] = name.contains("norm") ? 1f : (float) (r.nextGaussian() * std);
                return v;
            }

            public boolean contains(String name) {
                return true;
            }

            public String describe() {
                return "random";
            }
        };
        try {
            return LlamaWeights.load(c, src, DataType.FLOAT);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static MicroBatch randomBatch(LlamaConfig c, int B, int T) {
        SplittableRandom r = new SplittableRandom(5);
        List<TokenizedExample> ex = new ArrayList<>();
        for (int b = 0; b < B; b++) {
            int[] ids = new int[T];
            for (int t = 0; t < T; t++) ids[t] = r.nextInt(c.vocabSize());
            ex.add(new TokenizedExample(ids, ids.clone(), "bench"));
        }
        return MicroBatch.of(ex, 0, 1);
    }

    static long peakRssMb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
