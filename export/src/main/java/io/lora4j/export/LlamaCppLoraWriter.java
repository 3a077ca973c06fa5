package io.lora4j.export;

import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.gguf.GgufWriter;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.QkPermutation;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.lora.LoraModule;
import java.io.IOException;
import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Writes an adapter as a llama.cpp LoRA GGUF (REFERENCE.md C): {@code blk.N.<proj>.weight.lora_a} ne [in, r] and
 * {@code .lora_b} ne [r, out] in F32, B of q/k permuted to GGUF row order (llama architecture), {@code adapter.lora.alpha} such that
 * llama.cpp's alpha/r equals the adapter's scaling (rsLoRA included).
 */
public final class LlamaCppLoraWriter {
    private LlamaCppLoraWriter() {}

    public static void write(Path out, LoraAdapter adapter, String name) throws IOException {
        if (adapter.modules().isEmpty()) throw new IllegalStateException("refusing to write an adapter with no tensors");
        LlamaConfig c = adapter.modelConfig();
        GgufWriter g = new GgufWriter();
        g.put("general.architecture", GgufValue.string(c.architecture().ggufArch));
        g.put("general.type", GgufValue.string("adapter"));
        g.put("general.name", GgufValue.string(name));
        g.put("adapter.type", GgufValue.string("lora"));
        // llama.cpp scales by alpha / r; store the alpha that reproduces lora4j's scaling (alpha/r, or alpha/√r for rsLoRA)
        g.put("adapter.lora.alpha", GgufValue.float32(adapter.config().scaling() * adapter.config().r()));
        for (LoraModule m : adapter.modules()) {
            int r = m.rank();
            int in = (int) m.a().size(1), outF = (int) m.b().size(0);
            float[] a = m.a().castTo(DataType.FLOAT).dup('c').data().asFloat();
            float[] b = m.b().castTo(DataType.FLOAT).dup('c').data().asFloat();
            boolean permute = c.architecture().ggufPermutesQk(); // qwen2 keeps Hugging Face (NeoX) row order
            if (permute && m.projection() == Projection.Q) b = QkPermutation.toGguf(b, c.nHeads(), r);
            if (permute && m.projection() == Projection.K) b = QkPermutation.toGguf(b, c.nKvHeads(), r);
            String base = m.projection().ggufWeightName(m.layer());
            g.addTensor(base + ".lora_a", new long[] {in, r}, a);
            g.addTensor(base + ".lora_b", new long[] {r, outF}, b);
        }
        g.write(out);
    }
}
