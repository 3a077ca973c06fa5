package io.lora4j.trainer.params;

import io.lora4j.core.model.FrozenLinear;
import io.lora4j.core.model.GradientSink;
import io.lora4j.core.model.Linear;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.Projection;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Full fine-tuning (config {@code lora: null}), meant for small models: every base tensor is copied into one flat
 * fp32 buffer and the model computes on views of it, so all weights are trainable.
 */
public final class FullParameters implements TrainableParameters {
    private final INDArray params;
    private final INDArray grads;
    private final List<Segment> segments = new ArrayList<>();
    private final Map<String, INDArray> gradViews = new HashMap<>();
    private final LlamaModel model;

    public FullParameters(LlamaModel base) {
        LlamaConfig c = base.config();
        LlamaWeights w = base.weights();
        Map<String, INDArray> named = new LinkedHashMap<>();
        named.put("model.embed_tokens.weight", w.tokenEmbedding());
        for (int l = 0; l < c.nLayers(); l++) {
            LlamaWeights.Layer layer = w.layers().get(l);
            named.put("model.layers." + l + ".input_layernorm.weight", layer.attnNorm());
            for (Projection p : Projection.values()) named.put(p.hfWeightName(l), layer.w(p));
            for (Projection p : Projection.values()) if (layer.b(p) != null) named.put(p.hfBiasName(l), layer.b(p)); // Qwen2 q/k/v biases train too
            named.put("model.layers." + l + ".post_attention_layernorm.weight", layer.ffnNorm());
        }
        named.put("model.norm.weight", w.outputNorm());
        if (!c.tiedEmbeddings()) named.put("lm_head.weight", w.output());

        long total = 0;
        for (INDArray a : named.values()) total += a.length();
        DataType type = w.weightType() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        params = Nd4j.create(type, total);
        grads = Nd4j.zeros(type, total);
        Map<String, INDArray> views = new HashMap<>();
        long offset = 0;
        for (Map.Entry<String, INDArray> e : named.entrySet()) {
            long[] shape = e.getValue().shape();
            long n = e.getValue().length();
            INDArray view = params.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', shape);
            view.assign(e.getValue().castTo(type));
            views.put(e.getKey(), view);
            gradViews.put(e.getKey(), grads.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', shape));
            segments.add(new Segment(e.getKey(), offset, shape));
            offset += n;
        }
        List<LlamaWeights.Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            Map<Projection, INDArray> proj = new EnumMap<>(Projection.class);
            Map<Projection, INDArray> bias = new EnumMap<>(Projection.class);
            for (Projection p : Projection.values()) {
                proj.put(p, views.get(p.hfWeightName(l)));
                if (views.containsKey(p.hfBiasName(l))) bias.put(p, views.get(p.hfBiasName(l)));
            }
            layers.add(new LlamaWeights.Layer(views.get("model.layers." + l + ".input_layernorm.weight"), proj,
                    views.get("model.layers." + l + ".post_attention_layernorm.weight"), bias));
        }
        INDArray emb = views.get("model.embed_tokens.weight");
        LlamaWeights trainable = new LlamaWeights(emb, layers, views.get("model.norm.weight"),
                c.tiedEmbeddings() ? emb : views.get("lm_head.weight"));
        this.model = new LlamaModel(c, trainable, (layer, p, frozen) -> new TrainedLinear(frozen, gradViews.get(p.hfWeightName(layer))));
    }

    /** A projection whose weight is a view of the flat buffer and receives dW += dyᵀ·x. */
    private static final class TrainedLinear implements Linear {
        private final FrozenLinear weight;
        private final INDArray grad;

        TrainedLinear(FrozenLinear weight, INDArray grad) {
            this.weight = weight;
            this.grad = grad;
        }

        @Override
        public int inFeatures() {
            return weight.inFeatures();
        }

        @Override
        public int outFeatures() {
            return weight.outFeatures();
        }

        @Override
        public INDArray forward(INDArray x) {
            return weight.forward(x);
        }

        @Override
        public INDArray backward(INDArray x, INDArray dy) {
            Nd4j.gemm(dy, x, grad, true, false, 1.0, 1.0);
            return weight.backward(x, dy);
        }
    }

    @Override
    public LlamaModel model() {
        return model;
    }

    @Override
    public GradientSink sink() {
        return gradViews::get;
    }

    @Override
    public INDArray parameters() {
        return params;
    }

    @Override
    public INDArray gradients() {
        return grads;
    }

    @Override
    public List<Segment> segments() {
        return segments;
    }

    @Override
    public void setMode(boolean training, long seed) {
        // no dropout in the base model
    }
}
