package io.lora4j.core.model;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Central finite differences in float64: compares analytic gradient entries with (f(x+h) − f(x−h)) / 2h. */
public final class GradCheck {
    private GradCheck() {}

    /**
     * Checks {@code samples} random entries of {@code param} (perturbed in place and restored) against {@code analytic}.
     * Returns the largest relative error |a − n| / max(|a| + |n|, 1e-8).
     */
    public static double maxRelativeError(INDArray param, INDArray analytic, DoubleSupplier loss, int samples, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double h = 1e-6, worst = 0;
        INDArray flatParam = param.reshape(param.length());
        INDArray flatGrad = analytic.reshape(analytic.length());
        int n = (int) param.length();
        for (int s = 0; s < Math.min(samples, n); s++) {
            int i = samples >= n ? s : r.nextInt(n);
            double orig = flatParam.getDouble(i);
            flatParam.putScalar(i, orig + h);
            double plus = loss.getAsDouble();
            flatParam.putScalar(i, orig - h);
            double minus = loss.getAsDouble();
            flatParam.putScalar(i, orig);
            double numeric = (plus - minus) / (2 * h);
            double a = flatGrad.getDouble(i);
            double rel = Math.abs(a - numeric) / Math.max(Math.abs(a) + Math.abs(numeric), 1e-8);
            worst = Math.max(worst, rel);
        }
        return worst;
    }
}
