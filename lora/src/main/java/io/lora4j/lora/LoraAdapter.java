package io.lora4j.lora;

import io.lora4j.core.model.LinearFactory;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.Projection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * All LoRA modules of one model. Every A and B is a view into one flat parameter buffer and every gradient a view
 * into one flat gradient buffer, so zeroing, clipping, all-reduce, the optimizer and checkpoints touch one array each.
 * Tensor order (and so the flat layout) is layer-major, then projection order, A before B.
 */
public final class LoraAdapter {
    private final LlamaConfig model;
    private final LoraConfig config;
    private final INDArray params; // (P)
    private final INDArray grads;  // (P), or null for an adapter read for inference (merge, export, generate)
    private final List<LoraModule> modules;
    private final Map<String, LoraModule> byKey = new LinkedHashMap<>();
    private final Map<String, Dropout> dropouts = new LinkedHashMap<>();

    private LoraAdapter(LlamaConfig model, LoraConfig config, DataType type, boolean withGradients) {
        this.model = model;
        this.config = config;
        long total = 0;
        for (int l = 0; l < model.nLayers(); l++) {
            for (Projection p : config.targets()) total += (long) config.r() * (p.inFeatures(model) + p.outFeatures(model));
        }
        this.params = Nd4j.zeros(type, total);
        this.grads = withGradients ? Nd4j.zeros(type, total) : null;
        List<LoraModule> list = new ArrayList<>();
        long offset = 0;
        int salt = 0;
        for (int l = 0; l < model.nLayers(); l++) {
            for (Projection p : config.targets()) {
                int in = p.inFeatures(model), out = p.outFeatures(model), r = config.r();
                INDArray a = view(params, offset, r, in), da = grads == null ? null : view(grads, offset, r, in);
                offset += (long) r * in;
                INDArray b = view(params, offset, out, r), db = grads == null ? null : view(grads, offset, out, r);
                offset += (long) out * r;
                LoraModule m = new LoraModule(l, p, a, b, da, db, config.scaling());
                list.add(m);
                byKey.put(m.peftPrefix(), m);
                dropouts.put(m.peftPrefix(), new Dropout(config.dropout(), ++salt));
            }
        }
        this.modules = Collections.unmodifiableList(list);
    }

    private static INDArray view(INDArray flat, long offset, long rows, long cols) {
        return flat.get(NDArrayIndex.interval(offset, offset + rows * cols)).reshape('c', rows, cols);
    }

    /** A fresh adapter initialised as PEFT does: A ~ U(−1/√in, 1/√in) (Kaiming-uniform, a=√5), B = 0. */
    public static LoraAdapter create(LlamaConfig model, LoraConfig config, long seed) {
        return create(model, config, seed, DataType.FLOAT);
    }

    public static LoraAdapter create(LlamaConfig model, LoraConfig config, long seed, DataType type) {
        LoraAdapter adapter = new LoraAdapter(model, config, type, true);
        SplittableRandom rng = new SplittableRandom(seed);
        for (LoraModule m : adapter.modules) {
            double bound = 1.0 / Math.sqrt(m.a().size(1));
            double[] v = new double[(int) m.a().length()];
            for (int i = 0; i < v.length; i++) v[i] = (rng.nextDouble() * 2 - 1) * bound;
            try (INDArray d = Nd4j.createFromArray(v)) { // freed now, not at the next GC: at 7B these are ~7 MB per layer
                INDArray t = d.castTo(type); // d itself when type is DOUBLE: closed once, by the try
                m.a().assign(t.reshape(m.a().shape()));
                if (t != d) t.close();
            }
        }
        return adapter;
    }

    /**
     * An all-zero adapter of this shape, to be filled by a reader, for inference: it has no gradient buffers (they
     * would double its memory, 5 MB per layer of a 7B model at r 16, in every merge and export).
     */
    public static LoraAdapter empty(LlamaConfig model, LoraConfig config) {
        return new LoraAdapter(model, config, DataType.FLOAT, false);
    }

    public LlamaConfig modelConfig() {
        return model;
    }

    public LoraConfig config() {
        return config;
    }

    public List<LoraModule> modules() {
        return modules;
    }

    /** The module for a layer and projection, or null when that projection is not adapted. */
    public LoraModule module(int layer, Projection p) {
        return byKey.get(LoraModule.peftPrefix(layer, p));
    }

    public INDArray parameters() {
        return params;
    }

    public INDArray gradients() {
        return requireGradients();
    }

    private INDArray requireGradients() {
        if (grads == null) throw new IllegalStateException("this adapter was read for inference and has no gradient buffers: train one made by LoraAdapter.create");
        return grads;
    }

    public long parameterCount() {
        return params.length();
    }

    public void zeroGradients() {
        requireGradients().assign(0);
    }

    /** Training turns dropout on; {@code seed} fixes its masks for one micro-batch (same seed → same masks). */
    public void setMode(boolean training, long seed) {
        for (Dropout d : dropouts.values()) d.configure(training, seed);
    }

    /** Wraps the targeted projections of a base model with this adapter (the base weights are shared, not copied). */
    public LlamaModel attach(LlamaModel base) {
        if (!base.config().equals(model)) {
            throw new IllegalArgumentException("adapter was built for " + model + " but the base model is " + base.config());
        }
        return new LlamaModel(base.config(), base.weights(), factory());
    }

    public LinearFactory factory() {
        return (layer, projection, frozen) -> {
            LoraModule m = module(layer, projection);
            return m == null ? frozen : new LoraLinear(frozen, m, dropouts.get(m.peftPrefix()));
        };
    }
}
