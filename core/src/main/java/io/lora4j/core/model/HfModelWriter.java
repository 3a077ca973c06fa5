package io.lora4j.core.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.safetensors.SafetensorsData;
import io.lora4j.core.safetensors.SafetensorsDType;
import io.lora4j.core.safetensors.ShardedSafetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes weights as a Hugging Face directory of the config's family (Llama/Mistral/Qwen2 ForCausalLM): config.json,
 * generation_config.json and (sharded) safetensors with an index; biases included, no lm_head when tied. The tokenizer
 * files are {@link io.lora4j.core.tokenizer.HfTokenizerWriter}'s.
 */
public final class HfModelWriter {
    private HfModelWriter() {}

    public static void write(Path dir, LlamaConfig c, LlamaWeights w, SafetensorsDType dtype, long maxShardBytes, int bos, int eos) throws IOException {
        write(dir, c, new InMemoryWeights(c, w), dtype, maxShardBytes, bos, eos);
    }

    /**
     * Streams the model from {@code w} shard by shard: each tensor is read, converted and written when its shard
     * reaches it, a matrix {@link WeightSource#PART_VALUES} values at a time, so a 7B model is never held in memory.
     */
    public static void write(Path dir, LlamaConfig c, WeightSource w, SafetensorsDType dtype, long maxShardBytes, int bos, int eos) throws IOException {
        var configJson = HfCheckpoint.configJson(c, bos, eos, "float32"); // fails before writing when the config has no config.json form
        List<ShardedSafetensors.Streamed> tensors = new ArrayList<>();
        tensor(tensors, w, "model.embed_tokens.weight", dtype, c.vocabSize(), c.dim());
        for (int l = 0; l < c.nLayers(); l++) {
            tensor(tensors, w, "model.layers." + l + ".input_layernorm.weight", dtype, c.dim());
            for (Projection p : Projection.values()) tensor(tensors, w, p.hfWeightName(l), dtype, p.outFeatures(c), p.inFeatures(c));
            for (Projection p : Projection.values()) if (c.hasBias(p)) tensor(tensors, w, p.hfBiasName(l), dtype, p.outFeatures(c));
            tensor(tensors, w, "model.layers." + l + ".post_attention_layernorm.weight", dtype, c.dim());
        }
        tensor(tensors, w, "model.norm.weight", dtype, c.dim());
        if (!c.tiedEmbeddings()) tensor(tensors, w, "lm_head.weight", dtype, c.vocabSize(), c.dim());
        ShardedSafetensors.writeStreamed(dir, tensors, maxShardBytes, java.util.Map.of("format", "pt"));
        String torchDtype = switch (dtype) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        };
        Files.writeString(dir.resolve("config.json"),
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(HfCheckpoint.configJson(c, bos, eos, torchDtype)));
        Files.writeString(dir.resolve("generation_config.json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(generationConfig(bos, eos)));
    }

    /** One tensor (a vector, or a matrix written a part of its rows at a time), produced when its shard is written. */
    private static void tensor(List<ShardedSafetensors.Streamed> out, WeightSource w, String name, SafetensorsDType dtype, long... shape) {
        out.add(new ShardedSafetensors.Streamed(name, dtype, shape, ch -> {
            if (shape.length == 1) {
                write(ch, SafetensorsData.floats(shape, w.read(name, shape), dtype).data());
                return;
            }
            long rows = shape[0], cols = shape[1];
            int part = (int) Math.max(1, WeightSource.PART_VALUES / cols);
            for (int r0 = 0; r0 < rows; r0 += part) {
                int n = (int) Math.min(part, rows - r0);
                float[] v = w.readRows(name, rows, cols, WeightSource.rowRange(r0, r0 + n));
                write(ch, SafetensorsData.floats(new long[] {n, cols}, v, dtype).data());
            }
        }));
    }

    private static void write(java.nio.channels.WritableByteChannel ch, java.nio.ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** The ids generate() starts and stops with (transformers reads them from here, not from config.json); -1 leaves one out. */
    static ObjectNode generationConfig(int bos, int eos) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        if (bos >= 0) n.put("bos_token_id", bos);
        if (eos >= 0) n.put("eos_token_id", eos);
        return n;
    }

}
