package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.testing.SharedData;
import io.lora4j.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lora4j's importance matrix equals llama-imatrix's (c392e5094, fp32 KV cache) for synth-a and the same text:
 * entries, call counts and values (see imatrix-from-data/PROVENANCE.md).
 */
class ImatrixCollectorSharedDataTest {

    /** The raw entries of a legacy .dat: name → (ncall, stored values), plus the trailing chunks count and dataset. */
    record Raw(Map<String, Integer> ncall, Map<String, float[]> values, int chunks, String dataset) {}

    static Raw readRaw(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = b.getInt();
        Map<String, Integer> nc = new LinkedHashMap<>();
        Map<String, float[]> v = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            byte[] name = new byte[b.getInt()];
            b.get(name);
            String k = new String(name, StandardCharsets.UTF_8);
            nc.put(k, b.getInt());
            float[] f = new float[b.getInt()];
            for (int j = 0; j < f.length; j++) f[j] = b.getFloat();
            v.put(k, f);
        }
        int chunks = b.getInt();
        byte[] ds = new byte[b.getInt()];
        b.get(ds);
        assertFalse(b.hasRemaining(), "trailing bytes");
        return new Raw(nc, v, chunks, new String(ds, StandardCharsets.UTF_8));
    }

    /** The text llama-imatrix read: the "output" fields of the first 40 alpaca records joined with newlines. */
    static String text() throws IOException {
        JsonNode records = new ObjectMapper().readTree(SharedData.file("instructions/alpaca_cleaned_en_1000.json").toFile());
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < 40; i++) outs.add(records.get(i).get("output").asText());
        return String.join("\n", outs);
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = ImatrixCollectorSharedDataTest.class.getResourceAsStream("/imatrix-from-data/" + name)) {
            assertNotNull(in, name);
            return in.readAllBytes();
        }
    }

    @Test
    void synthAMatchesLlamaImatrix(@TempDir Path dir) throws Exception {
        BaseModel m = ModelLoader.load(SharedData.file("reference/synth-a/f32.gguf"));
        Tokenizer tok = m.requireTokenizer();
        List<int[]> chunks = ImatrixCollector.chunks(tok.encode(text(), true), 64, 8, tok.bosId());
        assertEquals(8, chunks.size());
        ImatrixCollector c = ImatrixCollector.collect(m.config(), m.weights(), chunks, 16);
        Path ours = dir.resolve("imatrix.dat");
        c.write(ours, "/tmp/imx-text.txt");

        Raw expected = readRaw(resource("synth-a.f32kv.imatrix"));
        Raw actual = readRaw(Files.readAllBytes(ours));
        assertEquals(14, expected.values().size());
        assertEquals(expected.values().keySet(), actual.values().keySet());
        assertEquals(expected.ncall(), actual.ncall());
        assertEquals(8, actual.chunks());
        assertEquals(expected.chunks(), actual.chunks());
        assertEquals(expected.dataset(), actual.dataset());
        double worst = 0;
        for (String k : expected.values().keySet()) {
            float[] e = expected.values().get(k), a = actual.values().get(k);
            assertEquals(e.length, a.length, k);
            for (int j = 0; j < e.length; j++) {
                double rel = Math.abs(a[j] - e[j]) / Math.max(Math.abs(e[j]), 1e-6);
                worst = Math.max(worst, rel);
                assertTrue(rel < 1e-4, k + "[" + j + "]: lora4j " + a[j] + " vs llama-imatrix " + e[j]);
            }
        }
        System.out.printf("imatrix vs llama-imatrix (synth-a, 8x64 tokens): 14 entries, ncall equal, max relative difference %.3g%n", worst);

        // The reader gives back mean(x²) per column: the stored value divided by ncall.
        ImportanceMatrix read = ImportanceMatrix.read(ours);
        String k = "blk.1.ffn_down.weight";
        float[] stored = actual.values().get(k);
        float[] w = read.weightsFor(k);
        for (int j = 0; j < w.length; j++) assertEquals(stored[j] / actual.ncall().get(k), w[j], 1e-6f * Math.abs(w[j]));
    }
}
