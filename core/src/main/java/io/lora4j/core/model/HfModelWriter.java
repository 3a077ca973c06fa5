package io.lora4j.core.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.safetensors.SafetensorsDType;
import io.lora4j.core.safetensors.ShardedSafetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes weights as a Hugging Face directory of the config's family (Llama/Mistral/Qwen2 ForCausalLM): config.json,
 * generation_config.json and (sharded) safetensors with an index; biases included, no lm_head when tied. The tokenizer
 * files are {@link io.lora4j.core.tokenizer.HfTokenizerWriter}'s.
 */
public final class HfModelWriter {
    private HfModelWriter() {}

    public static void write(Path dir, LlamaConfig c, LlamaWeights w, SafetensorsDType dtype, long maxShardBytes, int bos, int eos) throws IOException {
        List<ShardedSafetensors.NamedFloats> tensors = new ArrayList<>();
        add(tensors, "model.embed_tokens.weight", w.tokenEmbedding());
        for (int l = 0; l < c.nLayers(); l++) {
            LlamaWeights.Layer layer = w.layers().get(l);
            add(tensors, "model.layers." + l + ".input_layernorm.weight", layer.attnNorm());
            for (Projection p : Projection.values()) add(tensors, p.hfWeightName(l), layer.w(p));
            for (Projection p : Projection.values()) if (layer.b(p) != null) add(tensors, p.hfBiasName(l), layer.b(p));
            add(tensors, "model.layers." + l + ".post_attention_layernorm.weight", layer.ffnNorm());
        }
        add(tensors, "model.norm.weight", w.outputNorm());
        if (!c.tiedEmbeddings()) add(tensors, "lm_head.weight", w.output());
        var configJson = HfCheckpoint.configJson(c, bos, eos, "float32"); // fails before writing when the config has no config.json form
        ShardedSafetensors.write(dir, tensors, dtype, maxShardBytes);
        String torchDtype = switch (dtype) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        };
        Files.writeString(dir.resolve("config.json"),
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(HfCheckpoint.configJson(c, bos, eos, torchDtype)));
        Files.writeString(dir.resolve("generation_config.json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(generationConfig(bos, eos)));
    }

    /** The ids generate() starts and stops with (transformers reads them from here, not from config.json); -1 leaves one out. */
    static ObjectNode generationConfig(int bos, int eos) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        if (bos >= 0) n.put("bos_token_id", bos);
        if (eos >= 0) n.put("eos_token_id", eos);
        return n;
    }

    private static void add(List<ShardedSafetensors.NamedFloats> out, String name, INDArray a) {
        out.add(new ShardedSafetensors.NamedFloats(name, a.shape(), a.castTo(DataType.FLOAT).dup('c').data().asFloat()));
    }
}
