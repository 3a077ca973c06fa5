package io.lora4j.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.ModelFormatException;
import io.lora4j.core.model.Projection;
import io.lora4j.core.safetensors.SafetensorsFile;
import io.lora4j.core.safetensors.SafetensorsTensor;
import io.lora4j.core.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * PEFT's adapter layout: {@code adapter_config.json} (LoraConfig fields with PEFT's defaults) and
 * {@code adapter_model.safetensors} with keys {@code base_model.model.model.layers.N.<parent>.<proj>.lora_A.weight}
 * (r, in) and {@code …lora_B.weight} (out, r), in Hugging Face row order, float32.
 */
public final class PeftAdapterIO {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private PeftAdapterIO() {}

    public static void save(Path dir, LoraAdapter adapter, String baseModelNameOrPath) throws IOException {
        if (adapter.modules().isEmpty() || adapter.parameterCount() == 0) {
            throw new IllegalStateException("refusing to save an adapter with no tensors (the classic empty adapter_model file)");
        }
        Files.createDirectories(dir);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (LoraModule m : adapter.modules()) {
            w.putF32(m.peftPrefix() + ".lora_A.weight", m.a().shape(), m.a().castTo(DataType.FLOAT).dup('c').data().asFloat());
            w.putF32(m.peftPrefix() + ".lora_B.weight", m.b().shape(), m.b().castTo(DataType.FLOAT).dup('c').data().asFloat());
        }
        w.write(dir.resolve(WEIGHTS));
        Files.writeString(dir.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(configJson(adapter.config(), baseModelNameOrPath)));
    }

    /** adapter_config.json as PEFT writes it for a LoRA on a causal LM. */
    static ObjectNode configJson(LoraConfig c, String base) {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("alpha_pattern");
        n.putNull("auto_mapping");
        n.put("base_model_name_or_path", base);
        n.put("bias", "none");
        n.put("fan_in_fan_out", false);
        n.put("inference_mode", true);
        n.put("init_lora_weights", true);
        n.putNull("layers_pattern");
        n.putNull("layers_to_transform");
        n.put("lora_alpha", c.alpha());
        n.put("lora_dropout", c.dropout());
        n.putNull("modules_to_save");
        n.put("peft_type", "LORA");
        n.put("r", c.r());
        n.putObject("rank_pattern");
        n.putNull("revision");
        ArrayNode targets = n.putArray("target_modules");
        for (Projection p : c.targets()) targets.add(p.hfName);
        n.put("task_type", "CAUSAL_LM");
        n.put("use_dora", false);
        n.put("use_rslora", c.useRslora());
        return n;
    }

    /** Loads a PEFT adapter for a base model, refusing one whose shapes do not fit it. */
    public static LoraAdapter load(Path dir, LlamaConfig model) throws IOException {
        Path cfgFile = dir.resolve(CONFIG);
        if (!Files.exists(cfgFile)) throw new ModelFormatException(dir + ": no " + CONFIG + " (is this a PEFT adapter directory?)");
        JsonNode cfg = JSON.readTree(cfgFile.toFile());
        if (!cfg.path("peft_type").asText().equals("LORA")) {
            throw new ModelFormatException(cfgFile + ": peft_type is '" + cfg.path("peft_type").asText() + "', expected LORA");
        }
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.exists(weights)) {
            String extra = Files.exists(dir.resolve("adapter_model.bin")) ? " (adapter_model.bin is a pickle; convert it to safetensors with PEFT first)" : "";
            throw new ModelFormatException(dir + ": no " + WEIGHTS + extra);
        }
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            Set<Projection> targets = EnumSet.noneOf(Projection.class);
            List<String> unsupported = new ArrayList<>();
            for (SafetensorsTensor t : f.tensors()) {
                String[] p = t.name().split("\\.");
                // base_model.model.model.layers.N.<parent>.<proj>.lora_A.weight
                if (p.length == 9 && p[3].equals("layers") && p[7].startsWith("lora_")) targets.add(Projection.fromHfName(p[6]));
                else unsupported.add(t.name());
            }
            if (!unsupported.isEmpty()) {
                throw new ModelFormatException(weights + ": tensors lora4j cannot apply: " + unsupported.subList(0, Math.min(5, unsupported.size()))
                        + " (modules_to_save and embedding LoRA are not supported)");
            }
            if (targets.isEmpty()) throw new ModelFormatException(weights + ": the adapter has no LoRA tensors: refusing an empty adapter");
            int r = cfg.path("r").asInt(8);
            LoraConfig lc = new LoraConfig(r, (float) cfg.path("lora_alpha").asDouble(8), (float) cfg.path("lora_dropout").asDouble(0), targets,
                    cfg.path("use_rslora").asBoolean(false));
            LoraAdapter adapter = LoraAdapter.empty(model, lc);
            for (LoraModule m : adapter.modules()) {
                fill(f, weights, m.peftPrefix() + ".lora_A.weight", m.a().shape(), m.a());
                fill(f, weights, m.peftPrefix() + ".lora_B.weight", m.b().shape(), m.b());
            }
            return adapter;
        }
    }

    private static void fill(SafetensorsFile f, Path file, String name, long[] shape, org.nd4j.linalg.api.ndarray.INDArray into) throws IOException {
        SafetensorsTensor t = f.tensor(name).orElseThrow(() -> new ModelFormatException(file + ": missing tensor " + name + " (adapter for a model with fewer layers?)"));
        if (!Arrays.equals(t.shape(), shape)) {
            throw new ModelFormatException(file + ": tensor " + name + " has shape " + Arrays.toString(t.shape()) + " but the base model needs "
                    + Arrays.toString(shape) + ": this adapter was trained for another base model");
        }
        into.assign(Nd4j.create(f.readFloats(name), shape, 'c'));
    }
}
