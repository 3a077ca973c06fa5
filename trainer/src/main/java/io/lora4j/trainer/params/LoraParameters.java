package io.lora4j.trainer.params;

import io.lora4j.core.model.GradientSink;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraModule;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** LoRA training: only the adapter's A and B matrices are trainable. */
public final class LoraParameters implements TrainableParameters {
    private final LoraAdapter adapter;
    private final LlamaModel model;
    private final List<Segment> segments = new ArrayList<>();

    public LoraParameters(LlamaModel base, LoraAdapter adapter) {
        this.adapter = adapter;
        this.model = adapter.attach(base);
        long offset = 0;
        for (LoraModule m : adapter.modules()) {
            segments.add(new Segment(m.peftPrefix() + ".lora_A.weight", offset, m.a().shape()));
            offset += m.a().length();
            segments.add(new Segment(m.peftPrefix() + ".lora_B.weight", offset, m.b().shape()));
            offset += m.b().length();
        }
    }

    public LoraAdapter adapter() {
        return adapter;
    }

    @Override
    public LlamaModel model() {
        return model;
    }

    @Override
    public GradientSink sink() {
        return GradientSink.FROZEN;
    }

    @Override
    public INDArray parameters() {
        return adapter.parameters();
    }

    @Override
    public INDArray gradients() {
        return adapter.gradients();
    }

    @Override
    public List<Segment> segments() {
        return segments;
    }

    @Override
    public void setMode(boolean training, long seed) {
        adapter.setMode(training, seed);
    }
}
