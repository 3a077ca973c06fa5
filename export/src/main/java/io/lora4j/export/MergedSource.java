package io.lora4j.export;

import io.lora4j.core.model.WeightSource;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraModule;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A base source with an adapter merged in as each tensor is read: W + s·B·A for the projections the adapter targets
 * (in Hugging Face row order, as both W and the adapter are held), every other tensor unchanged. One tensor's delta at a
 * time; the same fp32 sums LoraMerge forms over whole weights.
 */
final class MergedSource implements WeightSource {
    private final WeightSource base;
    private final Map<String, LoraModule> modules = new HashMap<>();

    MergedSource(WeightSource base, LoraAdapter adapter) {
        this.base = base;
        if (adapter != null) for (LoraModule m : adapter.modules()) modules.put(m.projection().hfWeightName(m.layer()), m);
    }

    /** The adapter module merged into a tensor, or null. */
    LoraModule module(String hfName) {
        return modules.get(hfName);
    }

    /** s·B·A of a module as fp32, row-major (out, in). */
    static float[] delta(LoraModule m) {
        // freed here, not at the next GC: a 7B projection's delta is 172 MiB of native memory, and with a small heap
        // GCs are rare enough that several would pile up
        try (INDArray d = m.delta(); INDArray f = d.castTo(DataType.FLOAT).dup('c')) {
            return f.data().asFloat();
        }
    }

    /** Rows {@code ids} of s·B·A as fp32, row-major (ids.length, in). */
    static float[] deltaRows(LoraModule m, int[] ids) {
        try (INDArray d = m.deltaRows(ids); INDArray f = d.castTo(DataType.FLOAT).dup('c')) {
            return f.data().asFloat();
        }
    }

    @Override
    public float[] read(String hfName, long... shape) throws IOException {
        float[] w = base.read(hfName, shape);
        LoraModule m = modules.get(hfName);
        if (m == null) return w;
        float[] d = delta(m);
        if (d.length != w.length) throw new IllegalArgumentException(hfName + ": the adapter's delta has " + d.length + " values, the weight " + w.length);
        for (int i = 0; i < w.length; i++) w[i] += d[i];
        return w;
    }

    /** The rows of the base with the same rows of the delta added: a tensor merged a part at a time. */
    @Override
    public float[] readRows(String hfName, long rows, long cols, int[] ids) throws IOException {
        float[] w = base.readRows(hfName, rows, cols, ids);
        LoraModule m = modules.get(hfName);
        if (m == null) return w;
        float[] d = deltaRows(m, ids);
        if (d.length != w.length) throw new IllegalArgumentException(hfName + ": the adapter's delta has " + d.length + " values for these rows, the weight " + w.length);
        for (int i = 0; i < w.length; i++) w[i] += d[i];
        return w;
    }

    @Override
    public boolean contains(String hfName) {
        return base.contains(hfName);
    }

    @Override
    public Optional<Set<String>> tensorNames() {
        return base.tensorNames();
    }

    @Override
    public String describe() {
        return base.describe() + (modules.isEmpty() ? "" : " + adapter");
    }
}
