package io.lora4j.core.model;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Weights already in memory as a {@link WeightSource} by Hugging Face name, so the streaming writers (GGUF, Hugging
 * Face) take a model in memory the way they take a file: values cast to fp32, row-major.
 */
public final class InMemoryWeights implements WeightSource {
    private final Map<String, INDArray> byName = new HashMap<>();

    public InMemoryWeights(LlamaConfig c, LlamaWeights w) {
        byName.put("model.embed_tokens.weight", w.tokenEmbedding());
        byName.put("model.norm.weight", w.outputNorm());
        if (!c.tiedEmbeddings()) byName.put("lm_head.weight", w.output());
        for (int l = 0; l < w.layers().size(); l++) {
            LlamaWeights.Layer layer = w.layers().get(l);
            String prefix = "model.layers." + l + ".";
            byName.put(prefix + "input_layernorm.weight", layer.attnNorm());
            byName.put(prefix + "post_attention_layernorm.weight", layer.ffnNorm());
            for (Projection p : Projection.values()) {
                byName.put(p.hfWeightName(l), layer.w(p));
                if (layer.b(p) != null) byName.put(p.hfBiasName(l), layer.b(p));
            }
        }
    }

    @Override
    public float[] read(String hfName, long... shape) {
        INDArray a = byName.get(hfName);
        if (a == null) throw new IllegalArgumentException("in-memory model: no tensor '" + hfName + "'");
        if (!Arrays.equals(a.shape(), shape)) {
            throw new IllegalArgumentException("in-memory model: tensor '" + hfName + "' has shape " + Arrays.toString(a.shape()) + ", expected " + Arrays.toString(shape));
        }
        return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    @Override
    public float[] readRows(String hfName, long rows, long cols, int[] ids) throws IOException {
        INDArray a = byName.get(hfName);
        if (a == null || !Arrays.equals(a.shape(), new long[] {rows, cols})) return WeightSource.super.readRows(hfName, rows, cols, ids); // its errors name the tensor
        WeightSource.checkRowIds(hfName, rows, ids);
        try (INDArray r = a.getRows(ids); INDArray f = r.castTo(DataType.FLOAT).dup('c')) {
            return f.data().asFloat();
        }
    }

    @Override
    public boolean contains(String hfName) {
        return byName.containsKey(hfName);
    }

    @Override
    public String describe() {
        return "in-memory model";
    }
}
