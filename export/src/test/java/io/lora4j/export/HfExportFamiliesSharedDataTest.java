package io.lora4j.export;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.testing.SharedData;
import io.lora4j.core.tokenizer.HfTokenizerWriter;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.TokenizerModel;
import io.lora4j.core.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code export --hf} from each family's GGUF (byte-level BPE for Llama-3 and Qwen2.5, SentencePiece for Mistral):
 * the tokenizer files written from the GGUF's vocabulary encode the family's tokenizer test strings to llama.cpp's
 * reference ids when lora4j loads the exported directory, and carry its special tokens and chat template.
 */
class HfExportFamiliesSharedDataTest {

    /** The texts of a family's tokenizer_cases.json with llama.cpp's ids (without BOS, special tokens not parsed). */
    record Case(String text, int[] ids) {}

    static List<Case> cases(Path familyDir) throws Exception {
        JsonNode root = new ObjectMapper().readTree(familyDir.resolve("tokenizer_cases.json").toFile());
        List<Case> out = new ArrayList<>();
        for (JsonNode c : root.path("cases")) {
            JsonNode ids = c.has("llamacpp_ids") ? c.path("llamacpp_ids") : c.path("ids");
            int[] a = new int[ids.size()];
            for (int i = 0; i < a.length; i++) a[i] = ids.get(i).asInt();
            out.add(new Case(c.path("text").asText(), a));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen2", "mistral"})
    void familyGgufExportsATokenizerThatEncodesAsLlamaCpp(String name, @TempDir Path tmp) throws Exception {
        Path dir = SharedData.file("families/" + name);
        BaseModel base = ModelLoader.load(dir.resolve("model-f32.gguf"));
        Tokenizer gguf = base.requireTokenizer();
        // Llama-3's GGUF keeps its RoPE scaling only as rope_freqs factors: config.json gets the llama3 parameters
        // recovered from them, which must be the family's own and give back the same factors
        Path hf = HfExportSharedDataTest.export(base, null, tmp.resolve("out"));
        JsonNode written = new ObjectMapper().readTree(hf.resolve("config.json").toFile()).path("rope_scaling");
        JsonNode original = new ObjectMapper().readTree(dir.resolve("hf/config.json").toFile()).path("rope_scaling");
        for (String k : new String[] {"rope_type", "factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
            if (original.has(k) && original.get(k).isFloatingPointNumber()) {
                assertEquals(original.get(k).asDouble(), written.path(k).asDouble(Double.NaN), 1e-4, name + " rope_scaling." + k);
            } else if (original.has(k)) {
                assertEquals(original.get(k).asText(), written.path(k).asText(), name + " rope_scaling." + k);
            } else {
                assertFalse(written.has(k), name + " rope_scaling." + k);
            }
        }
        var factors = base.config().ropeScaling();
        if (factors != null) assertArrayEquals(factors.freqFactors(), ModelLoader.load(hf).config().ropeScaling().freqFactors(), 1e-6f);
        assertEquals(gguf.model().kind() == TokenizerModel.Kind.SPM, Files.exists(hf.resolve("tokenizer.model")));
        Tokenizer back = ModelLoader.load(hf).requireTokenizer();
        assertEquals(gguf.bosId(), back.bosId(), "bos");
        assertEquals(gguf.eosId(), back.eosId(), "eos");
        assertEquals(gguf.model().addBos(), back.model().addBos(), "add_bos_token");
        assertEquals(gguf.model().chatTemplate(), back.model().chatTemplate(), "chat template");
        int n = 0;
        for (Case c : cases(dir)) {
            assertArrayEquals(c.ids(), back.encode(c.text(), false), name + " ids of '" + c.text() + "'");
            assertArrayEquals(gguf.encode(c.text(), true), back.encode(c.text(), true), name + " ids with BOS of '" + c.text() + "'");
            assertEquals(gguf.decode(c.ids()), back.decode(c.ids()), name + " decode of '" + c.text() + "'");
            n++;
        }
        System.out.println(name + ": " + n + " tokenizer cases encode to llama.cpp's ids from the exported hf/");
    }
}
