package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufTensorInfo;
import io.lora4j.core.testing.SharedData;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * llama-quantize --imatrix against lora4j (resources/quant-imatrix/PROVENANCE.md): synth-a quantized with the
 * importance matrix llama-imatrix computed for it; every tensor's type and bytes must be llama-quantize's.
 */
class ImatrixQuantizeSharedDataTest {

    private static Path imatrixFile(Path tmp) throws Exception {
        Path p = tmp.resolve("synth-a.imatrix");
        try (InputStream in = ImatrixQuantizeSharedDataTest.class.getResourceAsStream("/quant-imatrix/synth-a.imatrix")) {
            Files.write(p, in.readAllBytes());
        }
        return p;
    }

    @Test
    void readsLlamaImatrixsFile(@TempDir Path tmp) throws Exception {
        Path file = imatrixFile(tmp);
        ImportanceMatrix m = ImportanceMatrix.read(file);
        assertEquals(14, m.entries().size());
        assertEquals(8, m.chunks());
        assertEquals("imatrix-text.txt", m.dataset());
        assertEquals(768, m.weightsFor("blk.1.ffn_down.weight").length);
        assertEquals(256, m.weightsFor("blk.0.attn_q.weight").length);
        assertNull(m.weightsFor("output.weight"));
        // the first entry, read by hand: name length, name, ncall 8, nval 768, sums; weights are sums / ncall
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int len = b.getInt(4);
        String name = new String(Files.readAllBytes(file), 8, len, StandardCharsets.UTF_8);
        int ncall = b.getInt(8 + len), nval = b.getInt(12 + len);
        float[] w = m.weightsFor(name);
        assertEquals(nval, w.length);
        for (int j = 0; j < nval; j++) assertEquals(b.getFloat(16 + len + 4 * j) / ncall, w[j], 0f, name + " " + j);
        assertThrows(IllegalArgumentException.class, () -> m.forTensor("blk.0.attn_q.weight", new long[] {512, 256}), "size mismatch is an error");
        assertNull(m.forTensor("token_embd.weight", new long[] {256, 512}), "no entry: quantized without");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_S", "Q3_K_M", "Q4_K_S", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void everyTensorMatchesLlamaQuantizeWithTheImatrix(String presetName, @TempDir Path tmp) throws Exception {
        Path out = tmp.resolve(presetName + ".gguf");
        ImportanceMatrix m = ImportanceMatrix.read(imatrixFile(tmp));
        GgufQuantizer.quantize(SharedData.file("reference/synth-a/f32.gguf"), out, QuantPreset.parse(presetName), 2, m, "synth-a.imatrix");
        List<String[]> expected = new ArrayList<>();
        try (InputStream in = getClass().getResourceAsStream("/quant-imatrix/synth-a.tsv")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.split("\t");
                if (!line.startsWith("#") && f[0].equals(presetName)) expected.add(f);
            }
        }
        assertFalse(expected.isEmpty());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(expected.size(), f.tensors().size());
            StringBuilder bad = new StringBuilder();
            int weighted = 0;
            for (int i = 0; i < expected.size(); i++) {
                String[] e = expected.get(i);
                GgufTensorInfo t = f.tensors().get(i);
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                md.update(f.tensorBytes(t));
                String sha = HexFormat.of().formatHex(md.digest());
                if (!t.name().equals(e[1]) || t.type() != GgmlType.valueOf(e[2]) || !sha.equals(e[3])) {
                    bad.append(t.name()).append(' ').append(t.type()).append(" vs ").append(e[1]).append(' ').append(e[2])
                            .append(sha.equals(e[3]) ? "" : " (bytes differ)").append('\n');
                } else if (m.weightsFor(t.name()) != null) {
                    weighted++;
                }
            }
            assertEquals("", bad.toString(), presetName);
            assertEquals(14, weighted, "every matrix with an imatrix entry was checked");
            assertEquals(14, f.metadata().getInteger("quantize.imatrix.entries_count"));
            assertEquals(8, f.metadata().getInteger("quantize.imatrix.chunks_count"));
        }
    }
}
