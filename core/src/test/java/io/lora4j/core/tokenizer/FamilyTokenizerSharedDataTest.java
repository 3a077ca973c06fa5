package io.lora4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.testing.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Llama-3 and Qwen2.5 byte-level BPE and Mistral's SentencePiece against llama.cpp's test vectors (families/F/vocab-test.*)
 * and tokenizer_cases.json, read from every format the family ships: tokenizer.json, the GGUF, and Mistral's tokenizer.model.
 */
class FamilyTokenizerSharedDataTest {
    static final String[][] SOURCES = {
        {"llama3", "hf/tokenizer.json"}, {"llama3", "model-f32.gguf"},
        {"qwen2", "hf/tokenizer.json"}, {"qwen2", "model-f32.gguf"},
        {"mistral", "hf/tokenizer.json"}, {"mistral", "hf/tokenizer.model"}, {"mistral", "model-f32.gguf"},
    };
    private static final Map<String, Tokenizer> LOADED = new HashMap<>();

    static Stream<Arguments> sources() {
        return Arrays.stream(SOURCES).map(s -> Arguments.of(s[0], s[1]));
    }

    /** Loaded once per file: the 128k/152k vocabularies take a moment. */
    static synchronized Tokenizer load(String family, String file) throws Exception {
        String key = family + "/" + file;
        Tokenizer t = LOADED.get(key);
        if (t == null) LOADED.put(key, t = Tokenizers.load(SharedData.file("families/" + key)));
        return t;
    }

    record Case(String text, int[] ids) {}

    /** llama.cpp's test-tokenizer-0 format: inputs separated by "\n__ggml_vocab_test__\n", one line of ids per input. */
    static List<Case> vocabTest(String family) throws Exception {
        String inp = Files.readString(SharedData.file("families/" + family + "/vocab-test.inp"), StandardCharsets.UTF_8);
        List<String> out = Files.readAllLines(SharedData.file("families/" + family + "/vocab-test.out"), StandardCharsets.UTF_8);
        String[] texts = inp.split("\n__ggml_vocab_test__\n", -1);
        assertEquals(texts.length - 1, out.size(), "one output line per input");
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            String line = out.get(i).trim();
            cases.add(new Case(texts[i], line.isEmpty() ? new int[0] : Arrays.stream(line.split("\\s+")).mapToInt(Integer::parseInt).toArray()));
        }
        return cases;
    }

    static List<Case> tokenizerCases(String family) throws Exception {
        JsonNode root = new ObjectMapper().readTree(SharedData.file("families/" + family + "/tokenizer_cases.json").toFile());
        List<Case> cases = new ArrayList<>();
        for (JsonNode c : root.path("cases")) cases.add(new Case(c.path("text").asText(), ints(c.path("ids"))));
        return cases;
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    @ParameterizedTest
    @MethodSource("sources")
    void everyVocabTestLineGivesTheReferenceIds(String family, String file) throws Exception {
        Tokenizer tok = load(family, file);
        List<Case> cases = vocabTest(family);
        assertEquals(46, cases.size());
        List<String> wrong = new ArrayList<>();
        for (Case c : cases) {
            int[] got = tok.encode(c.text(), false);
            if (!Arrays.equals(c.ids(), got)) wrong.add("'" + c.text().replace("\n", "\\n") + "': " + Arrays.toString(got) + " expected " + Arrays.toString(c.ids()));
        }
        assertEquals(List.of(), wrong, family + "/" + file);
    }

    @ParameterizedTest
    @MethodSource("sources")
    void everyTokenizerCaseGivesItsIdsAndDecodesBack(String family, String file) throws Exception {
        Tokenizer tok = load(family, file);
        List<Case> cases = tokenizerCases(family);
        assertTrue(cases.size() >= 46);
        for (Case c : cases) {
            String shown = "'" + c.text().replace("\n", "\\n") + "'";
            assertArrayEquals(c.ids(), tok.encode(c.text(), false), family + "/" + file + " " + shown);
            String decoded = tok.decode(tok.encode(c.text(), true));
            if (family.equals("llama3") && c.text().contains(" ?")) {
                // Llama-3 decodes with clean_up_tokenization_spaces (llama.cpp, and transformers by its tokenizer_config)
                assertEquals(c.text().replace(" ?", "?"), decoded, "round trip with space clean-up of " + shown);
            } else {
                assertEquals(c.text(), decoded, "round trip of " + shown);
            }
        }
    }

    @Test
    void specialTokensAreSingleIdsOnlyWhenParsed() throws Exception {
        Tokenizer llama = load("llama3", "hf/tokenizer.json");
        String text = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
        assertArrayEquals(new int[] {128006, 882, 128007, 271, 13347, 128009}, llama.encode(text, false, true));
        int[] plain = llama.encode(text, false);
        assertTrue(Arrays.stream(plain).allMatch(id -> id < 128000), "user text never yields special ids: " + Arrays.toString(plain));
        assertEquals(text, llama.decode(plain), "written-out special tokens survive a round trip as text");
        assertEquals(128000, llama.encode("Hi", true)[0], "Llama-3 adds <|begin_of_text|>");

        Tokenizer qwen = load("qwen2", "hf/tokenizer.json");
        assertArrayEquals(new int[] {151644, 872, 198, 13048, 151645}, qwen.encode("<|im_start|>user\nHi<|im_end|>", false, true));
        assertTrue(Arrays.stream(qwen.encode("<|im_start|>user\nHi<|im_end|>", false)).allMatch(id -> id < 151643));
        assertEquals(13048, qwen.encode("Hi", true)[0], "Qwen2.5 adds no BOS");
        // <tool_call> is a non-special added token: transformers always splits it out, also in plain text
        assertArrayEquals(new int[] {151657}, qwen.encode("<tool_call>", false));
        assertEquals("<|im_end|>", qwen.detokenize(new int[] {151645}, false, true));
        assertEquals("", qwen.detokenize(new int[] {151645}, false, false));
    }

    @Test
    void jsonAndGgufGiveTheSameVocabulary() throws Exception {
        for (String family : new String[] {"llama3", "qwen2", "mistral"}) {
            Tokenizer json = load(family, "hf/tokenizer.json"), gguf = load(family, "model-f32.gguf");
            assertEquals(gguf.vocabSize(), json.vocabSize(), family);
            assertEquals(gguf.bosId(), json.bosId(), family + " bos");
            assertEquals(gguf.eosId(), json.eosId(), family + " eos");
            assertEquals(gguf.model().addBos(), json.model().addBos(), family + " add_bos");
            assertEquals(gguf.model().preTokenizer(), json.model().preTokenizer(), family + " pre-tokenizer");
            assertTrue(json.model().chatTemplate().isPresent() && gguf.model().chatTemplate().isPresent(), family + " chat template");
            assertEquals(json.model().chatTemplate(), gguf.model().chatTemplate(), family + " chat template");
            // Mistral's GGUF types <unk> CONTROL where tokenizer.model and tokenizer.json say UNKNOWN; no other difference
            if (!family.equals("mistral")) assertEquals(gguf.fingerprint(), json.fingerprint(), family + ": same pieces, types, merges and settings");
        }
    }
}
