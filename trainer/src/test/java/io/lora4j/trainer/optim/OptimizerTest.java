package io.lora4j.trainer.optim;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.model.GradientSink;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.trainer.ParameterOptimizer;
import io.lora4j.trainer.params.TrainableParameters;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

class OptimizerTest {

    /** Flat parameters with the given segment sizes and no model (optimizer tests need only the buffers). */
    static TrainableParameters flat(long... sizes) {
        long total = 0;
        List<TrainableParameters.Segment> segs = new java.util.ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            segs.add(new TrainableParameters.Segment("t" + i, total, new long[] {sizes[i]}));
            total += sizes[i];
        }
        INDArray p = Nd4j.zeros(DataType.FLOAT, total), g = Nd4j.zeros(DataType.FLOAT, total);
        return new TrainableParameters() {
            public LlamaModel model() { return null; }
            public GradientSink sink() { return GradientSink.FROZEN; }
            public INDArray parameters() { return p; }
            public INDArray gradients() { return g; }
            public List<Segment> segments() { return segs; }
            public void setMode(boolean training, long seed) {}
        };
    }

    @Test
    void codebooksHaveBitsandbytesShape() {
        float[] s = DynamicCodebook.signed(), u = DynamicCodebook.unsigned();
        assertEquals(256, s.length);
        assertEquals(256, u.length);
        for (int i = 1; i < 256; i++) {
            assertTrue(s[i] >= s[i - 1]);
            assertTrue(u[i] >= u[i - 1]);
        }
        assertEquals(-0.99296875f, s[0], 1e-7);
        assertEquals(1.0f, s[255]);
        assertEquals(0f, u[0]);
        assertEquals(1.0f, u[255]);
        float smallest = Float.MAX_VALUE;
        for (float v : s) if (v != 0) smallest = Math.min(smallest, Math.abs(v));
        assertEquals(5.5e-7, smallest, 1e-8);
    }

    @Test
    void adamWMatchesAFloat64Recomputation() {
        TrainableParameters p = flat(10);
        AdamWSettings st = new AdamWSettings(0.9, 0.99, 1e-8, 0.1);
        AdamW opt = new AdamW(p, st);
        SplittableRandom r = new SplittableRandom(1);
        double[] w = new double[10], m = new double[10], v = new double[10];
        for (int i = 0; i < 10; i++) p.parameters().putScalar(i, w[i] = (float) r.nextGaussian());
        for (int t = 1; t <= 5; t++) {
            for (int i = 0; i < 10; i++) {
                double g = (float) r.nextGaussian();
                p.gradients().putScalar(i, g);
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.99 * v[i] + 0.01 * g * g;
                w[i] *= 1 - 0.01 * 0.1;
                w[i] -= 0.01 / (1 - Math.pow(0.9, t)) * m[i] / (Math.sqrt(v[i] / (1 - Math.pow(0.99, t))) + 1e-8);
            }
            opt.step(0.01);
        }
        for (int i = 0; i < 10; i++) assertEquals(w[i], p.parameters().getDouble(i), 1e-5);
        assertEquals(80, opt.stateBytes());
    }

    @Test
    void adamWInChunksIsTheUnchunkedUpdate() {
        TrainableParameters a = flat(1000, 37), b = flat(1000, 37);
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 1037; i++) {
            double x = r.nextGaussian();
            a.parameters().putScalar(i, x);
            b.parameters().putScalar(i, x);
        }
        INDArray before = a.parameters().dup();
        AdamWSettings st = new AdamWSettings(0.9, 0.99, 1e-8, 0.1);
        AdamW whole = new AdamW(a, st), chunked = new AdamW(b, st);
        for (int step = 0; step < 3; step++) {
            for (int i = 0; i < 1037; i++) {
                double g = r.nextGaussian();
                a.gradients().putScalar(i, g);
                b.gradients().putScalar(i, g);
            }
            whole.step(1e-2, Long.MAX_VALUE);
            chunked.step(1e-2, 100); // 11 chunks, the last one short
        }
        assertEquals(a.parameters(), b.parameters()); // element-wise update: bit-identical
        assertNotEquals(before, a.parameters());
    }

    @Test
    void eightBitMatchesThePlainJavaReference() {
        int n = 5000; // one 8-bit tensor with a partial last block
        TrainableParameters p = flat(n);
        AdamWSettings st = AdamWSettings.defaults();
        AdamW8bit opt = new AdamW8bit(p, st);
        AdamW8bitReference ref = new AdamW8bitReference(n, st);
        SplittableRandom r = new SplittableRandom(2);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) r.nextGaussian();
        p.parameters().assign(Nd4j.createFromArray(w.clone()));
        for (int t = 0; t < 10; t++) {
            float[] g = new float[n];
            for (int i = 0; i < n; i++) g[i] = (float) (r.nextGaussian() * (i % 300 == 0 ? 20 : 1)); // outliers
            p.gradients().assign(Nd4j.createFromArray(g));
            opt.step(1e-3);
            ref.step(w, g, 1e-3);
        }
        float[] got = p.parameters().toFloatVector();
        double maxDiff = 0;
        for (int i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - w[i]));
        assertTrue(maxDiff < 1e-5, "ND4J 8-bit vs plain Java: max |Δ| " + maxDiff);
        float[] mRef = ref.firstMoment(), mNd = opt.moments()[0].toFloatVector();
        int differentCodes = 0;
        for (int i = 0; i < n; i++) if (Math.abs(mRef[i] - mNd[i]) > 1e-6 * Math.abs(mRef[i]) + 1e-12) differentCodes++;
        assertTrue(differentCodes < n / 1000, differentCodes + " of " + n + " first-moment codes differ");
    }

    /**
     * The CPU backend's fused host loop and the ND4J-ops path (what runs on CUDA) are two implementations of one update:
     * same parameters within float rounding and the same state codes, over several tensors (two 8-bit ones with partial
     * last blocks, one small fp32 one), weight decay on, and a checkpoint of one restored into the other.
     */
    @Test
    void hostLoopAndNd4jOpsAreTheSameUpdate() {
        long[] sizes = {5000, 1000, 8200};
        AdamWSettings st = new AdamWSettings(0.9, 0.999, 1e-8, 0.01);
        TrainableParameters a = flat(sizes), b = flat(sizes);
        AdamW8bit host = new AdamW8bit(a, st, true), ops = new AdamW8bit(b, st, false);
        SplittableRandom r = new SplittableRandom(3);
        int n = (int) a.parameters().length();
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) r.nextGaussian();
        a.parameters().assign(Nd4j.createFromArray(w));
        b.parameters().assign(Nd4j.createFromArray(w));
        for (int t = 0; t < 12; t++) {
            float[] g = new float[n];
            for (int i = 0; i < n; i++) g[i] = (float) (r.nextGaussian() * (i % 257 == 0 ? 30 : 1));
            a.gradients().assign(Nd4j.createFromArray(g));
            b.gradients().assign(Nd4j.createFromArray(g));
            host.step(2e-3);
            ops.step(2e-3);
            if (t == 5) ops.restore(host.toProto()); // the checkpoint format is shared
        }
        float[] pa = a.parameters().toFloatVector(), pb = b.parameters().toFloatVector();
        double maxDiff = 0;
        for (int i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(pa[i] - pb[i]));
        assertTrue(maxDiff < 1e-6, "host loop vs ND4J ops: max |Δ parameter| " + maxDiff);
        float[] mHost = host.moments()[0].toFloatVector(), mOps = ops.moments()[0].toFloatVector();
        int differentCodes = 0;
        for (int i = 0; i < mHost.length; i++) if (mHost[i] != mOps[i]) differentCodes++;
        assertTrue(differentCodes <= mHost.length / 1000, differentCodes + " of " + mHost.length + " first-moment codes differ");
        float[] before = w.clone();
        int moved = 0;
        for (int i = 0; i < n; i++) if (pa[i] != before[i]) moved++;
        assertEquals(n, moved, "every parameter was updated");
    }

    @Test
    void stateIsAbout2BytesPerParameterFor8BitAnd8ForFp32() {
        TrainableParameters p = flat(16384, 65536, 1000);
        double per8 = (double) new AdamW8bit(p, AdamWSettings.defaults()).stateBytes() / p.parameters().length();
        double per32 = (double) new AdamW(p, AdamWSettings.defaults()).stateBytes() / p.parameters().length();
        assertEquals(8.0, per32);
        assertTrue(per8 < 2.2, "8-bit state bytes per parameter: " + per8);
        TrainableParameters big = flat(1 << 20);
        assertEquals(2 + 8.0 / 256, (double) new AdamW8bit(big, AdamWSettings.defaults()).stateBytes() / (1 << 20), 1e-9);
    }

    /**
     * A separable quadratic with curvatures spread over three decades and 48k parameters, 300 steps from the same
     * start: far from converged in the flat directions, so the loss reflects the whole trajectory. The 8-bit run's
     * loss must be within 2% of the fp32 run's.
     */
    @Test
    void eightBitReachesTheFp32Loss() {
        int n = 48 * 1024;
        SplittableRandom r = new SplittableRandom(5);
        float[] h = new float[n], c = new float[n];
        for (int i = 0; i < n; i++) {
            h[i] = (float) Math.pow(10, -3 * r.nextDouble());
            c[i] = (float) r.nextGaussian();
        }
        INDArray curv = Nd4j.createFromArray(h), target = Nd4j.createFromArray(c);
        double[] loss = new double[2];
        for (int variant = 0; variant < 2; variant++) {
            TrainableParameters p = flat(n);
            ParameterOptimizer opt = variant == 0 ? new AdamW(p, AdamWSettings.defaults()) : new AdamW8bit(p, AdamWSettings.defaults());
            for (int step = 0; step < 300; step++) {
                INDArray noise = Nd4j.getRandom().nextGaussian(new long[] {n}).castTo(DataType.FLOAT).muli(0.01);
                p.gradients().assign(p.parameters().sub(target).muli(curv).muli(2).addi(noise)); // d/dw h(w−c)² + noise
                opt.step(0.005);
            }
            loss[variant] = p.parameters().sub(target).muli(p.parameters().sub(target)).muli(curv).meanNumber().doubleValue();
        }
        System.out.printf("quadratic, 48k params, 300 steps: AdamW fp32 loss %.5f, AdamW 8-bit %.5f (%+.2f%%)%n", loss[0], loss[1], 100 * (loss[1] / loss[0] - 1));
        assertTrue(Math.abs(loss[1] / loss[0] - 1) < 0.02, "8-bit " + loss[1] + " vs fp32 " + loss[0]);
    }

    @Test
    void schedulesFollowTransformers() {
        var linear = LrSchedules.of("linear", 1.0, 10, 110);
        assertEquals(0.0, linear.applyAsDouble(0));
        assertEquals(0.5, linear.applyAsDouble(5));
        assertEquals(1.0, linear.applyAsDouble(10));
        assertEquals(0.5, linear.applyAsDouble(60), 1e-12);
        assertEquals(0.0, linear.applyAsDouble(110));
        var cosine = LrSchedules.of("cosine", 2.0, 0, 100);
        assertEquals(2.0, cosine.applyAsDouble(0));
        assertEquals(1.0, cosine.applyAsDouble(50), 1e-12);
        assertEquals(0.0, cosine.applyAsDouble(100), 1e-12);
        assertEquals(3.0, LrSchedules.of("constant", 3.0, 0, 10).applyAsDouble(7));
        assertEquals(4, LrSchedules.warmupSteps(0, 0.03, 110)); // ceil(3.3)
        assertEquals(7, LrSchedules.warmupSteps(7, 0.03, 110));
        assertThrows(IllegalArgumentException.class, () -> LrSchedules.of("step", 1, 0, 10));
    }

    @Test
    void stateRoundTripsThroughTheCheckpointProto() {
        for (boolean eightBit : new boolean[] {false, true}) {
            TrainableParameters a = flat(8192, 100), b = flat(8192, 100);
            ParameterOptimizer oa = eightBit ? new AdamW8bit(a, AdamWSettings.defaults()) : new AdamW(a, AdamWSettings.defaults());
            ParameterOptimizer ob = eightBit ? new AdamW8bit(b, AdamWSettings.defaults()) : new AdamW(b, AdamWSettings.defaults());
            SplittableRandom r = new SplittableRandom(3);
            for (int t = 0; t < 3; t++) {
                a.gradients().assign(Nd4j.randn(DataType.FLOAT, a.gradients().length()));
                oa.step(1e-2);
            }
            b.parameters().assign(a.parameters());
            ob.restore(oa.toProto());
            INDArray g = Nd4j.randn(DataType.FLOAT, a.gradients().length());
            a.gradients().assign(g);
            b.gradients().assign(g);
            oa.step(1e-2);
            ob.step(1e-2);
            assertArrayEquals(a.parameters().toFloatVector(), b.parameters().toFloatVector(), 0f, eightBit ? "8-bit" : "fp32");
        }
    }
}
