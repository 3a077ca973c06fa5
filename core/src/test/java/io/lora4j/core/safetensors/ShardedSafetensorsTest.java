package io.lora4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hugging Face model directories: one model.safetensors, or shards plus model.safetensors.index.json. */
class ShardedSafetensorsTest {
    @TempDir
    Path tmp;

    static LinkedHashMap<String, SafetensorsData> tensors(SplittableRandom r) {
        LinkedHashMap<String, SafetensorsData> m = new LinkedHashMap<>();
        m.put("model.embed_tokens.weight", SafetensorsData.f32(new long[] {10, 10}, random(r, 100))); // 400 bytes
        m.put("model.norm.weight", SafetensorsData.floats(new long[] {10}, random(r, 10), SafetensorsDType.BF16)); // 20
        m.put("lm_head.weight", SafetensorsData.floats(new long[] {10, 20}, random(r, 200), SafetensorsDType.F16)); // 400
        m.put("model.layers.0.mlp.up_proj.weight", SafetensorsData.f32(new long[] {30, 10}, random(r, 300))); // 1200: over the limit
        m.put("model.layers.0.input_layernorm.weight", SafetensorsData.f32(new long[] {10}, random(r, 10))); // 40
        return m;
    }

    static float[] random(SplittableRandom r, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) r.nextGaussian();
        return f;
    }

    static void assertSameContent(LinkedHashMap<String, SafetensorsData> expected, ShardedSafetensors s) throws Exception {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(s.names()));
        for (Map.Entry<String, SafetensorsData> e : expected.entrySet()) {
            SafetensorsData d = e.getValue();
            assertArrayEquals(d.shape(), s.shape(e.getKey()));
            assertEquals(d.dtype(), s.dtype(e.getKey()));
            // independent decode of what was handed to the writer
            float[] want = new float[(int) (d.byteSize() / d.dtype().size)];
            java.nio.ByteBuffer b = d.data().order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < want.length; i++) {
                want[i] = switch (d.dtype()) {
                    case F32 -> b.getFloat();
                    case F16 -> io.lora4j.core.ggml.Float16.halfToFloat(b.getShort());
                    default -> io.lora4j.core.ggml.Float16.bf16ToFloat(b.getShort());
                };
            }
            assertArrayEquals(want, s.readFloats(e.getKey()), e.getKey());
        }
    }

    @Test
    void shardsAndIndexRoundTrip() throws Exception {
        LinkedHashMap<String, SafetensorsData> ts = tensors(new SplittableRandom(1));
        ShardedSafetensors.write(tmp, ts, 820);
        // greedy in order: [embed 400, norm 20, lm_head 400] = 820, [up_proj 1200] alone, [layernorm 40]
        Path index = tmp.resolve(ShardedSafetensors.INDEX);
        JsonNode json = new ObjectMapper().readTree(index.toFile());
        assertEquals(2060, json.path("metadata").path("total_size").asLong());
        assertEquals("model-00001-of-00003.safetensors", json.path("weight_map").path("lm_head.weight").asText());
        assertEquals("model-00002-of-00003.safetensors", json.path("weight_map").path("model.layers.0.mlp.up_proj.weight").asText());
        assertEquals("model-00003-of-00003.safetensors", json.path("weight_map").path("model.layers.0.input_layernorm.weight").asText());
        assertFalse(Files.exists(tmp.resolve(ShardedSafetensors.SINGLE)));
        try (SafetensorsFile shard = SafetensorsFile.open(tmp.resolve("model-00001-of-00003.safetensors"))) {
            assertEquals(Map.of("format", "pt"), shard.metadata());
            assertEquals(3, shard.tensors().size());
        }
        try (ShardedSafetensors s = ShardedSafetensors.open(tmp)) {
            assertSameContent(ts, s);
            assertThrows(IllegalArgumentException.class, () -> s.shape("nope"));
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> s.readFloats("nope"));
            assertTrue(e.getMessage().contains("no tensor 'nope' in [") && e.getMessage().contains("model-00003-of-00003.safetensors"), e.getMessage());
        }
    }

    @Test
    void aSingleFileWhenEverythingFitsReplacingAStaleIndex() throws Exception {
        LinkedHashMap<String, SafetensorsData> ts = tensors(new SplittableRandom(2));
        ShardedSafetensors.write(tmp, ts, 100); // sharded first
        assertTrue(Files.exists(tmp.resolve(ShardedSafetensors.INDEX)));
        ShardedSafetensors.write(tmp, ts, 1L << 20);
        assertTrue(Files.exists(tmp.resolve(ShardedSafetensors.SINGLE)));
        assertFalse(Files.exists(tmp.resolve(ShardedSafetensors.INDEX)), "a stale index would shadow the new file");
        try (ShardedSafetensors s = ShardedSafetensors.open(tmp)) {
            assertSameContent(ts, s);
        }
    }

    @Test
    void streamedFloatsAreWrittenInTheGivenDtype() throws Exception {
        float[] v = {1f / 3, -2.5f, 1e-3f};
        ShardedSafetensors.writeStreamed(tmp, List.of(new ShardedSafetensors.Streamed("w", SafetensorsDType.BF16, new long[] {3}, ch -> {
            java.nio.ByteBuffer b = SafetensorsData.floats(new long[] {3}, v, SafetensorsDType.BF16).data();
            while (b.hasRemaining()) ch.write(b);
        })), 1 << 20, Map.of("format", "pt"));
        try (ShardedSafetensors s = ShardedSafetensors.open(tmp)) {
            assertEquals(SafetensorsDType.BF16, s.dtype("w"));
            float[] got = s.readFloats("w");
            for (int i = 0; i < v.length; i++) assertEquals(io.lora4j.core.ggml.Float16.bf16ToFloat(io.lora4j.core.ggml.Float16.floatToBf16(v[i])), got[i], 0f);
        }
    }

    @Test
    void brokenIndexesFailNamingTheIndex() throws Exception {
        ShardedSafetensors.write(tmp, tensors(new SplittableRandom(3)), 820);
        Path index = tmp.resolve(ShardedSafetensors.INDEX);
        String good = Files.readString(index);
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put(good.replace("model-00002-of-00003", "model-00009-of-00003"), "is in shard 'model-00009-of-00003.safetensors', which does not exist");
        cases.put(good.replace("\"model-00002-of-00003.safetensors\"", "\"../model-00002-of-00003.safetensors\""), "expected a file name in the same directory");
        cases.put(good.replace("\"model-00002-of-00003.safetensors\"", "7"), "maps to 7, expected a file name");
        cases.put(good.replace("\"model.norm.weight\" : \"model-00001", "\"model.norm.weight\" : \"model-00003"), "tensor 'model.norm.weight' is not in its shard 'model-00003-of-00003.safetensors'");
        cases.put("{\"metadata\": {}}", "expected a \"weight_map\" object");
        cases.put("{\"weight_map\": {", "not valid JSON");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            assertNotEquals(good, c.getKey(), "the case changed the index");
            Files.writeString(index, c.getKey());
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> ShardedSafetensors.open(tmp).close());
            assertTrue(e.getMessage().startsWith(index + ": ") && e.getMessage().contains(c.getValue()), e.getMessage());
        }
        Files.delete(index);
        Files.list(tmp).forEach(p -> p.toFile().delete());
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> ShardedSafetensors.open(tmp).close());
        assertTrue(e.getMessage().contains("neither model.safetensors nor model.safetensors.index.json"), e.getMessage());
    }
}
