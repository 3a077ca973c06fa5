package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufTensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Type mixing and row-length fallbacks against llama-quantize itself (resources/quant-mixing/PROVENANCE.md): two
 * random llama models, one with n_ff 1408 (ffn_down rows are not whole 256-blocks) and one with n_embd 288 (no
 * K-quant fits anywhere), every preset; for each tensor the type llama-quantize chose, and for some presets the
 * bytes of the whole rewritten file.
 */
class QuantMixingFixtureTest {
    @TempDir
    static Path dir;
    private static final Map<String, Path> MODELS = new LinkedHashMap<>();

    /** One line of a fixture. */
    private record Expected(String tensor, GgmlType type, String sha256) {}

    @BeforeAll
    static void writeModels() throws Exception {
        Map<MixingModels.Spec, String> sha = Map.of(
                MixingModels.FF1408, "1b4e6e6bc25cfb61fcd7861a742f19e2c0d85d1cb67cb9a6856ed0d5631536d4",
                MixingModels.EMBD288, "9c9591714910acf06fadaf6753b3a51f206976ba509cdacb5191a94234935c14");
        for (MixingModels.Spec s : List.of(MixingModels.FF1408, MixingModels.EMBD288)) {
            Path p = dir.resolve(s.name() + ".gguf");
            MixingModels.write(s, p);
            assertEquals(sha.get(s), sha256(ByteBuffer.wrap(Files.readAllBytes(p))), s.name() + ": not the file the fixture was made from");
            MODELS.put(s.name(), p);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "ff1408, Q4_0", "ff1408, Q4_1", "ff1408, Q5_0", "ff1408, Q5_1", "ff1408, Q8_0", "ff1408, Q2_K", "ff1408, Q3_K_S",
        "ff1408, Q3_K_M", "ff1408, Q3_K_L", "ff1408, Q4_K_S", "ff1408, Q4_K_M", "ff1408, Q5_K_S", "ff1408, Q5_K_M", "ff1408, Q6_K",
        "ff1408, IQ4_NL", "ff1408, IQ4_XS",
        "embd288, Q4_0", "embd288, Q4_1", "embd288, Q5_0", "embd288, Q5_1", "embd288, Q8_0", "embd288, Q2_K", "embd288, Q3_K_S",
        "embd288, Q3_K_M", "embd288, Q3_K_L", "embd288, Q4_K_S", "embd288, Q4_K_M", "embd288, Q5_K_S", "embd288, Q5_K_M", "embd288, Q6_K",
        "embd288, IQ4_NL", "embd288, IQ4_XS",
    })
    void everyTensorGetsLlamaQuantizesType(String model, String presetName) throws Exception {
        QuantPreset preset = QuantPreset.parse(presetName);
        List<Expected> expected = fixture(model, presetName);
        try (GgufFile f = GgufFile.open(MODELS.get(model))) {
            List<GgufTensorInfo> order = GgufQuantizer.sorted(f.tensors());
            LayerCounts c = LayerCounts.of(order.stream().map(GgufTensorInfo::name).toList(), (int) f.metadata().getInteger("llama.block_count"),
                    (int) f.metadata().getInteger("llama.attention.head_count"), (int) f.metadata().getInteger("llama.attention.head_count_kv"));
            List<String> got = new ArrayList<>(), want = new ArrayList<>();
            for (GgufTensorInfo t : order) {
                GgmlType type = preset.typeFor(t.name(), t.ne(), c);
                got.add(t.name() + " " + (type == null ? t.type() : type));
            }
            for (Expected e : expected) want.add(e.tensor() + " " + e.type());
            assertEquals(String.join("\n", want), String.join("\n", got), model + " " + presetName);
        }
    }

    /** The whole rewrite, bytes included, where the fallbacks and the IQ4 types are: tensor by tensor, same SHA-256. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"ff1408, Q2_K", "ff1408, Q3_K_M", "ff1408, IQ4_XS", "embd288, Q3_K_S", "embd288, Q4_K_M", "embd288, IQ4_NL"})
    void rewrittenFileHasLlamaQuantizesBytes(String model, String presetName) throws Exception {
        Path out = dir.resolve(model + "." + presetName + ".gguf");
        GgufQuantizer.quantize(MODELS.get(model), out, QuantPreset.parse(presetName), 2);
        try (GgufFile f = GgufFile.open(out)) {
            List<Expected> expected = fixture(model, presetName);
            assertEquals(expected.size(), f.tensors().size());
            StringBuilder bad = new StringBuilder();
            for (int i = 0; i < expected.size(); i++) {
                Expected e = expected.get(i);
                GgufTensorInfo t = f.tensors().get(i);
                String sha = sha256(f.tensorBytes(t));
                if (!t.name().equals(e.tensor()) || t.type() != e.type() || !sha.equals(e.sha256())) {
                    bad.append(t.name()).append(' ').append(t.type()).append(" vs llama-quantize ").append(e.tensor()).append(' ').append(e.type())
                            .append(sha.equals(e.sha256()) ? "" : " (bytes differ)").append('\n');
                }
            }
            assertEquals("", bad.toString(), model + " " + presetName);
        }
    }

    private static List<Expected> fixture(String model, String preset) throws IOException {
        List<Expected> out = new ArrayList<>();
        try (InputStream in = QuantMixingFixtureTest.class.getResourceAsStream("/quant-mixing/" + model + ".tsv")) {
            assertNotNull(in, "missing fixture " + model + ".tsv");
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.split("\t");
                if (line.startsWith("#") || !f[0].equals(preset)) continue;
                out.add(new Expected(f[1], GgmlType.valueOf(f[2]), f[3]));
            }
        }
        assertFalse(out.isEmpty(), "no " + preset + " lines in " + model + ".tsv");
        return out;
    }

    private static String sha256(ByteBuffer b) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(b.duplicate());
        return HexFormat.of().formatHex(md.digest());
    }
}
