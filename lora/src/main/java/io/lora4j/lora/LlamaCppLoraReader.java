package io.lora4j.lora;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufFormatException;
import io.lora4j.core.gguf.GgufTensorInfo;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.QkPermutation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads a llama.cpp LoRA adapter GGUF (REFERENCE.md C): {@code blk.N.<proj>.weight.lora_a} (ne [in, r]) and
 * {@code .lora_b} (ne [r, out]), scale alpha/r with r = lora_b.ne[0]. For the llama architecture B of attn_q/attn_k is stored
 * in GGUF row order and is permuted back to Hugging Face order, matching lora4j's base weights.
 */
public final class LlamaCppLoraReader {
    private static final Pattern NAME = Pattern.compile("blk\\.(\\d+)\\.([a-z_]+)\\.weight\\.lora_([ab])");

    private LlamaCppLoraReader() {}

    public static LoraAdapter read(Path path, LlamaConfig model) throws IOException {
        try (GgufFile f = GgufFile.open(path)) {
            String type = f.metadata().getString("general.type", "");
            if (!type.equals("adapter") || !f.metadata().getString("adapter.type", "").equals("lora")) {
                throw new GgufFormatException(path + ": general.type='" + type + "', adapter.type='" + f.metadata().getString("adapter.type", "")
                        + "'; expected a llama.cpp LoRA adapter (general.type=adapter, adapter.type=lora)");
            }
            String arch = f.metadata().getString("general.architecture");
            String expectedArch = model.architecture().ggufArch;
            if (!arch.equals(expectedArch)) throw new GgufFormatException(path + ": adapter is for architecture '" + arch + "', the base model is '" + expectedArch + "'");
            float alpha = f.metadata().getFloat32("adapter.lora.alpha", 0f);
            Set<Projection> targets = EnumSet.noneOf(Projection.class);
            int rank = -1;
            for (GgufTensorInfo t : f.tensors()) {
                Matcher m = NAME.matcher(t.name());
                if (!m.matches()) {
                    if (t.name().endsWith("_norm.weight")) continue; // llama.cpp ignores these too
                    throw new GgufFormatException(path + ": unexpected tensor '" + t.name() + "' in a LoRA adapter (expected blk.N.<proj>.weight.lora_a/lora_b)");
                }
                Projection p = Projection.fromGgufName(m.group(2));
                targets.add(p);
                if (m.group(3).equals("b")) {
                    int r = (int) t.ne()[0];
                    if (rank >= 0 && r != rank) throw new GgufFormatException(path + ": tensor '" + t.name() + "' has rank " + r + ", others " + rank + " (per-module ranks are not supported)");
                    rank = r;
                }
            }
            if (rank <= 0) throw new GgufFormatException(path + ": the adapter has no lora_b tensors: refusing an empty adapter");
            // llama.cpp: scale = alpha / r when alpha is set, else 1
            float effectiveAlpha = alpha != 0f ? alpha : rank;
            LoraAdapter adapter = LoraAdapter.empty(model, new LoraConfig(rank, effectiveAlpha, 0f, targets, false));
            for (int l = 0; l < model.nLayers(); l++) {
                for (Projection p : targets) {
                    String base = "blk." + l + "." + p.ggufName + ".weight";
                    GgufTensorInfo a = f.tensor(base + ".lora_a").orElseThrow(() -> new GgufFormatException(path + ": missing " + base + ".lora_a"));
                    GgufTensorInfo b = f.tensor(base + ".lora_b").orElseThrow(() -> new GgufFormatException(path + ": missing " + base + ".lora_b"));
                    int in = p.inFeatures(model), out = p.outFeatures(model);
                    if (a.ne()[0] != in || a.ne()[1] != rank || b.ne()[0] != rank || b.ne()[1] != out) {
                        throw new GgufFormatException(path + ": " + base + " LoRA shapes a=" + java.util.Arrays.toString(a.ne()) + " b=" + java.util.Arrays.toString(b.ne())
                                + " do not fit the base model (expected a=[" + in + ", " + rank + "] b=[" + rank + ", " + out + "]): adapter for another base?");
                    }
                    LoraModule m = adapter.module(l, p);
                    m.a().assign(Nd4j.create(f.readFloats(a), new long[] {rank, in}, 'c'));
                    float[] bv = f.readFloats(b);
                    if (p == Projection.Q && model.architecture().ggufPermutesQk()) bv = QkPermutation.toHf(bv, model.nHeads(), rank);
                    if (p == Projection.K && model.architecture().ggufPermutesQk()) bv = QkPermutation.toHf(bv, model.nKvHeads(), rank);
                    m.b().assign(Nd4j.create(bv, new long[] {out, rank}, 'c'));
                }
            }
            return adapter;
        }
    }
}
