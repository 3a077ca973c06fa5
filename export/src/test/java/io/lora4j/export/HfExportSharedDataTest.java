package io.lora4j.export;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.Generator;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.model.Sampler;
import io.lora4j.core.testing.SharedData;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import io.lora4j.lora.LoraAdapter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code export --hf} from a GGUF or llama2.c base writes a directory lora4j loads back whole: its tokenizer files
 * (generated from the base's vocabulary) encode every text to the ids of the base's own tokenizer, and its weights
 * generate the same greedy text as the merged model.
 */
class HfExportSharedDataTest {
    /** English, Chinese (byte fallback in a 512-piece vocabulary), emoji, leading/trailing/repeated spaces, newlines. */
    static final List<String> TEXTS = List.of(
            "Once upon a time, there was a little girl named Lily.",
            "The cat sat on the mat.",
            " Hello",
            "  two  spaces  ",
            "trailing ",
            " ",
            "",
            "Hello\n\nworld\t!",
            "你好，世界。中文测试",
            "emoji 😀🎉 and bytes ½ ü",
            "ied 4 ½ months",
            "Führer");

    static Path export(BaseModel base, LoraAdapter a, Path out) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Exporter.export(base, a, out, new Exporter.Options(List.of(), false, true, false, List.of(), 1), new PrintStream(log));
        System.out.print(log);
        assertTrue(log.toString().contains("written from the base's vocabulary"), log.toString());
        return out.resolve("hf");
    }

    @Test
    void ggufBaseExportsTokenizerFilesThatEncodeAsTheGguf(@TempDir Path tmp) throws Exception {
        BaseModel base = ModelLoader.load(SharedData.file("models/stories260K.gguf"));
        Tokenizer gguf = base.requireTokenizer();
        LoraAdapter a = ExportSharedDataTest.adapter(base);
        Path hf = export(base, a, tmp.resolve("out"));
        for (String f : List.of("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json")) {
            assertTrue(Files.exists(hf.resolve(f)), "missing " + f);
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode gen = json.readTree(hf.resolve("generation_config.json").toFile());
        assertEquals(gguf.bosId(), gen.path("bos_token_id").asInt());
        assertEquals(gguf.eosId(), gen.path("eos_token_id").asInt());
        JsonNode cfg = json.readTree(hf.resolve("tokenizer_config.json").toFile());
        assertEquals("<s>", cfg.path("bos_token").asText());
        assertEquals("</s>", cfg.path("eos_token").asText());
        assertEquals("<unk>", cfg.path("unk_token").asText());
        assertTrue(cfg.path("add_bos_token").asBoolean());
        assertEquals(base.config().contextLength(), cfg.path("model_max_length").asInt());

        BaseModel reloaded = ModelLoader.load(hf); // finds tokenizer.json itself: no "this model has no tokenizer"
        Tokenizer fromJson = reloaded.requireTokenizer();
        Tokenizer fromSpm = Tokenizers.load(hf.resolve("tokenizer.model"));
        assertEquals(gguf.fingerprint(), fromSpm.fingerprint(), "tokenizer.model holds the GGUF's vocabulary and settings exactly");
        assertEquals(gguf.bosId(), fromJson.bosId());
        assertEquals(gguf.eosId(), fromJson.eosId());
        for (String s : TEXTS) {
            int[] want = gguf.encode(s, true);
            assertArrayEquals(want, fromJson.encode(s, true), "tokenizer.json ids of '" + s + "'");
            assertArrayEquals(want, fromSpm.encode(s, true), "tokenizer.model ids of '" + s + "'");
            assertEquals(gguf.decode(want), fromJson.decode(want), "decode of '" + s + "'");
        }

        // the weights: the HF model (merged, F16) continues prompts as the unmerged adapter does
        LlamaModel unmerged = a.attach(new LlamaModel(base.config(), base.weights()));
        LlamaModel written = new LlamaModel(reloaded.config(), reloaded.weights());
        for (String prompt : List.of("Once upon a time", "The little dog")) {
            int[] ids = fromJson.encode(prompt, true);
            Generator.Output want = Generator.generateWithMargins(unmerged, ids, 24, Sampler.greedy(), gguf.eosId());
            int[] got = Generator.generate(written, ids, 24, Sampler.greedy(), fromJson.eosId());
            int agree = comparableSteps(want);
            assertTrue(agree >= 8, "too few clear-cut steps to compare: " + Arrays.toString(want.margins()));
            assertArrayEquals(Arrays.copyOf(want.ids(), Math.min(agree, want.ids().length)), Arrays.copyOf(got, Math.min(agree, got.length)),
                    "greedy continuation of '" + prompt + "': " + gguf.decode(want.ids()) + " | " + fromJson.decode(got));
            System.out.printf("'%s' → %s (%d of %d steps clear of F16 rounding)%n", prompt, fromJson.decode(got), agree, want.ids().length);
        }
    }

    /** Steps up to the first near-tie (margin under 0.05, which F16 weights may flip): those must agree token for token. */
    static int comparableSteps(Generator.Output o) {
        for (int i = 0; i < o.margins().length; i++) if (o.margins()[i] < 0.05f) return i;
        return o.margins().length;
    }

    @Test
    void llama2cBaseExportsTheTokenizerBesideIt(@TempDir Path tmp) throws Exception {
        BaseModel base = ModelLoader.load(SharedData.file("models/stories260K.bin")); // tok512.model beside it
        Tokenizer tok = base.requireTokenizer();
        Path hf = export(base, null, tmp.resolve("out"));
        Tokenizer back = ModelLoader.load(hf).requireTokenizer();
        for (String s : TEXTS) assertArrayEquals(tok.encode(s, true), back.encode(s, true), "ids of '" + s + "'");
        assertEquals(tok.fingerprint(), Tokenizers.load(hf.resolve("tokenizer.model")).fingerprint());
    }
}
