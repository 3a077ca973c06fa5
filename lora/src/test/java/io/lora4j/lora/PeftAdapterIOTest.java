package io.lora4j.lora;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.model.LinearFactory;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.ModelFormatException;
import io.lora4j.core.model.Projection;
import io.lora4j.core.model.TinyModels;
import io.lora4j.core.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class PeftAdapterIOTest {

    static LoraAdapter trained(LlamaConfig c) {
        LoraAdapter a = LoraAdapter.create(c, new LoraConfig(4, 8f, 0.05f, EnumSet.of(Projection.Q, Projection.V, Projection.DOWN), true), 3);
        for (LoraModule m : a.modules()) m.b().assign(Nd4j.randn(DataType.FLOAT, m.b().shape()).muli(0.1));
        return a;
    }

    @Test
    void savesPeftLayoutAndLoadsItBack(@TempDir Path tmp) throws Exception {
        LlamaConfig c = TinyModels.config(2, false);
        LoraAdapter a = trained(c);
        PeftAdapterIO.save(tmp, a, "my/base-model");
        JsonNode cfg = new ObjectMapper().readTree(tmp.resolve("adapter_config.json").toFile());
        assertEquals("LORA", cfg.get("peft_type").asText());
        assertEquals("CAUSAL_LM", cfg.get("task_type").asText());
        assertEquals(4, cfg.get("r").asInt());
        assertEquals(8.0, cfg.get("lora_alpha").asDouble());
        assertTrue(cfg.get("use_rslora").asBoolean());
        assertEquals("my/base-model", cfg.get("base_model_name_or_path").asText());
        assertEquals("[\"q_proj\",\"v_proj\",\"down_proj\"]", cfg.get("target_modules").toString());
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("adapter_model.safetensors"))) {
            assertEquals(2 * 3 * 2, f.tensors().size());
            assertArrayEquals(new long[] {4, 16}, f.tensor("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight").orElseThrow().shape());
            assertArrayEquals(new long[] {16, 4}, f.tensor("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight").orElseThrow().shape());
            assertArrayEquals(new long[] {4, 24}, f.tensor("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight").orElseThrow().shape());
            assertEquals("pt", f.metadata().get("format"));
        }
        LoraAdapter back = PeftAdapterIO.load(tmp, c);
        assertEquals(a.config(), back.config());
        assertArrayEquals(a.parameters().toFloatVector(), back.parameters().toFloatVector(), 0f);
        LlamaModel base = TinyModels.model(c, 1, DataType.FLOAT, LinearFactory.FROZEN);
        int[][] tokens = TinyModels.tokens(c, 1, 6, 2);
        assertEquals(0.0, a.attach(base).logits(tokens).sub(back.attach(base).logits(tokens)).amaxNumber().doubleValue(), 0.0);
    }

    @Test
    void refusesAnAdapterForAnotherBase(@TempDir Path tmp) throws Exception {
        PeftAdapterIO.save(tmp, trained(TinyModels.config(2, false)), "base");
        LlamaConfig other = new LlamaConfig(32, 24, 2, 4, 2, 8, 23, 64, 1e-5f, 10000f, false);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> PeftAdapterIO.load(tmp, other));
        assertTrue(e.getMessage().contains("another base model") && e.getMessage().contains("q_proj"), e.getMessage());
    }

    @Test
    void reportsRelativeChangeAndFlagsUntrainedModules() throws Exception {
        LlamaConfig c = TinyModels.config(1, false);
        LlamaModel base = TinyModels.model(c, 1, DataType.FLOAT, LinearFactory.FROZEN);
        LoraAdapter fresh = LoraAdapter.create(c, new LoraConfig(4, 8f, 0f, EnumSet.of(Projection.Q, Projection.V), false), 1);
        assertEquals(2, AdapterReport.untrained(AdapterReport.rows(fresh, base.weights())).size());
        assertTrue(AdapterReport.format(AdapterReport.rows(fresh, base.weights())).contains("WARNING"));
        LoraAdapter t = trained(c);
        for (AdapterReport.Row r : AdapterReport.rows(t, base.weights())) assertTrue(r.relativeChange() > 0, r.toString());
    }
}
