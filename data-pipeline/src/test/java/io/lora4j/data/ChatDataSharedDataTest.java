package io.lora4j.data;

import static io.lora4j.core.model.CausalLmLoss.IGNORE;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.config.ConfigException;
import io.lora4j.core.testing.SharedData;
import io.lora4j.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * data.template: chat through the prepare logic (Datasets.build in this process) with the Llama-3, Qwen2.5 and
 * Mistral tokenizers: every conversation of families/F/chat_cases.json gives the ids transformers' apply_chat_template
 * gave and labels on exactly its assistant-token mask; LLaMA-Factory's glaive tool-call shape prepares without a reject;
 * role mapping, special-token text in records, an Alpaca record, a template file and the Vicuna fallback.
 */
class ChatDataSharedDataTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path tmp;

    static String tokenizer(String family, String file) {
        return SharedData.file("families/" + family + "/" + file).toString();
    }

    static PrepareConfig chatConfig(Path input, String format, Map<String, String> roles, Map<String, Object> vars, String chatTemplate,
                                    Boolean parseSpecial, int cutoff) {
        return new PrepareConfig(List.of(new PrepareConfig.Source(input.toString(), format, null, roles)), null, "chat", cutoff,
                PrepareConfig.Truncate.RESPONSE, 0.0, false, false, false, 1L, chatTemplate, vars, parseSpecial);
    }

    record Prepared(PrepareSummary summary, Map<Integer, TokenizedExample> kept, Map<Integer, String> rejects) {}

    Prepared prepare(PrepareConfig cfg, String tokenizerPath) throws IOException {
        Path out = tmp.resolve("out-" + System.nanoTime());
        PrepareSummary s = Datasets.build(cfg, tokenizerPath, out.toString(), "", Datasets.Runner.LOCAL, null, System.out, null);
        Map<Integer, TokenizedExample> kept = new HashMap<>();
        for (TokenizedExample e : PreparedDataset.open(out.toString()).train()) kept.put(PrepareSharedDataTest.index(e.source()), e);
        Map<Integer, String> rejects = new HashMap<>();
        try (Stream<Path> files = Files.list(out.resolve("rejects"))) {
            for (Path f : files.filter(f -> !f.getFileName().toString().startsWith("_")).toList()) {
                for (String line : Files.readAllLines(f)) {
                    JsonNode r = JSON.readTree(line);
                    rejects.put(PrepareSharedDataTest.index(r.path("source").asText()), r.path("reason").asText());
                }
            }
        }
        assertEquals(s.kept(), kept.size());
        assertEquals(s.rejected(), rejects.size());
        return new Prepared(s, kept, rejects);
    }

    static Path writeJson(Path file, Object records) throws IOException {
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(records));
        return file;
    }

    @ParameterizedTest
    @CsvSource({"llama3, hf/tokenizer.json", "llama3, model-f32.gguf", "qwen2, hf/tokenizer.json", "qwen2, model-f32.gguf",
            "mistral, hf/tokenizer.json", "mistral, model-f32.gguf"})
    void everyChatCasePreparesToTheFixtureIdsWithLabelsOnTheAssistantSpans(String family, String tokenizerFile) throws Exception {
        JsonNode root = JSON.readTree(SharedData.file("families/" + family + "/chat_cases.json").toFile());
        ArrayNode records = JSON.createArrayNode();
        for (JsonNode c : root.path("cases")) {
            ObjectNode r = records.addObject();
            r.set("messages", c.get("messages"));
            if (c.hasNonNull("tools")) r.set("tools", c.get("tools"));
        }
        Map<String, Object> kwargs = JSON.convertValue(root.path("template_kwargs"), new TypeReference<>() {});
        Path input = writeJson(tmp.resolve(family + ".json"), records);
        Prepared p = prepare(chatConfig(input, "openai", null, kwargs, null, null, 4096), tokenizer(family, tokenizerFile));
        int compared = 0;
        for (int i = 0; i < root.path("cases").size(); i++) {
            JsonNode c = root.path("cases").get(i);
            String name = family + "/" + c.path("name").asText() + " (" + tokenizerFile + ")";
            if (c.hasNonNull("error")) { // Mistral's template has no tool turns: the record is rejected with the template's reason
                assertFalse(p.kept().containsKey(i), name);
                assertEquals("chat template rejected the conversation", RecordParser.category(p.rejects().get(i)), name + ": " + p.rejects().get(i));
                continue;
            }
            TokenizedExample e = p.kept().get(i);
            assertNotNull(e, name + " was rejected: " + p.rejects().get(i));
            int[] ids = JSON.convertValue(c.path("ids"), int[].class), mask = JSON.convertValue(c.path("assistant_token_mask"), int[].class);
            assertArrayEquals(ids, e.inputIds(), name + " ids");
            int trained = 0;
            for (int t = 0; t < ids.length; t++) {
                assertEquals(mask[t] == 1 ? ids[t] : IGNORE, e.labels()[t], name + " label " + t);
                trained += mask[t];
            }
            assertTrue(trained > 0, name);
            compared++;
        }
        assertEquals(family.equals("mistral") ? 5 : 6, compared);
        assertEquals(family.equals("mistral") ? 1 : 0, p.summary().rejected());
    }

    /** The texts the loss is on, one per run of trained tokens (special tokens written out). */
    static List<String> trainedTexts(Tokenizer tok, TokenizedExample e) {
        List<String> out = new ArrayList<>();
        int t = 0;
        while (t < e.labels().length) {
            if (e.labels()[t] == IGNORE) {
                t++;
                continue;
            }
            int from = t;
            while (t < e.labels().length && e.labels()[t] != IGNORE) t++;
            out.add(tok.detokenize(Arrays.copyOfRange(e.inputIds(), from, t), false, true));
        }
        return out;
    }

    static String text(Tokenizer tok, TokenizedExample e) {
        return tok.detokenize(e.inputIds(), false, true);
    }

    @Test
    void glaiveToolCallsPrepareWithoutRejectsAndTrainOnTheCallsAndAnswersOnly() throws Exception {
        Path input = Path.of(getClass().getResource("/chat/glaive_toolcall_sample.json").toURI());
        String qwenPath = tokenizer("qwen2", "hf/tokenizer.json");
        Prepared qwen = prepare(chatConfig(input, "auto", null, null, null, null, 4096), qwenPath);
        assertEquals(4, qwen.summary().read());
        assertEquals(0, qwen.summary().rejected(), qwen.rejects().toString());
        Tokenizer tok = TokenizerCache.get(qwenPath);
        TokenizedExample trip = qwen.kept().get(0);
        // Qwen2.5 writes a call as <tool_call> JSON </tool_call> in the assistant turn, a result as <tool_response> in a user turn
        assertEquals(List.of("<tool_call>\n{\"name\": \"road_distance\", \"arguments\": {\"origin\": \"Lyon\", \"destination\": \"Geneva\"}}\n</tool_call><|im_end|>",
                "It is about 151 km, a drive of roughly 1 hour 50 minutes.<|im_end|>",
                "<tool_call>\n{\"name\": \"road_distance\", \"arguments\": {\"origin\": \"Geneva\", \"destination\": \"Bern\"}}\n</tool_call><|im_end|>",
                "Geneva to Bern is about 159 km, close to two hours by car.<|im_end|>"), trainedTexts(tok, trip));
        String all = text(tok, trip);
        assertTrue(all.contains("<|im_start|>user\n<tool_response>\n{\"km\": 151, \"hours\": 1.8}\n</tool_response><|im_end|>"), all);
        // a bare function definition is offered in OpenAI's form
        assertTrue(all.contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"road_distance\", \"description\": \"Driving distance"), all);
        String withSystem = text(tok, qwen.kept().get(2));
        assertTrue(withSystem.startsWith("<|im_start|>system\nYou are a concise travel assistant.\n\n# Tools"), withSystem);
        assertFalse(text(tok, qwen.kept().get(1)).contains("<tools>"), "tools: \"[]\" offers no tools");
        assertEquals(List.of("Red, yellow and blue.<|im_end|>", "Blue and yellow.<|im_end|>"), trainedTexts(tok, qwen.kept().get(1)));

        String llamaPath = tokenizer("llama3", "hf/tokenizer.json");
        Prepared llama = prepare(chatConfig(input, "sharegpt", null, Map.of("date_string", "26 Jul 2024"), null, null, 4096), llamaPath);
        assertEquals(0, llama.summary().rejected(), llama.rejects().toString());
        Tokenizer ltok = TokenizerCache.get(llamaPath);
        assertEquals(List.of("{\"name\": \"convert_currency\", \"parameters\": {\"amount\": 20, \"from\": \"EUR\", \"to\": \"CHF\"}}<|eot_id|>",
                "20 euros are about 18.90 Swiss francs.<|eot_id|>"), trainedTexts(ltok, llama.kept().get(2)));
        assertTrue(text(ltok, llama.kept().get(2)).contains("<|start_header_id|>ipython<|end_header_id|>\n\n\"{\\\"result\\\": 18.9}\"<|eot_id|>"));
    }

    @Test
    void rolesMapOtherSpeakerNames() throws Exception {
        List<Map<String, Object>> records = List.of(Map.of("conversations", List.of(Map.of("from", "USER", "value", "Hi"),
                Map.of("from", "BOT", "value", "Hello there."))), Map.of("conversations", List.of(Map.of("from", "human", "value", "Hi {{ 7*7 }}"),
                Map.of("from", "gpt", "value", "{% raw %}x{% endraw %}"))));
        Path input = writeJson(tmp.resolve("roles.json"), records);
        String qwenPath = tokenizer("qwen2", "hf/tokenizer.json");
        Prepared unmapped = prepare(chatConfig(input, "sharegpt", null, null, null, null, 4096), qwenPath);
        assertEquals("unknown speaker", RecordParser.category(unmapped.rejects().get(0)));
        Prepared mapped = prepare(chatConfig(input, "sharegpt", Map.of("USER", "user", "BOT", "assistant"), null, null, null, 4096), qwenPath);
        assertEquals(0, mapped.summary().rejected());
        Tokenizer tok = TokenizerCache.get(qwenPath);
        assertEquals(List.of("Hello there.<|im_end|>"), trainedTexts(tok, mapped.kept().get(0)));
        // text that looks like Jinja is data, never evaluated
        assertEquals(List.of("{% raw %}x{% endraw %}<|im_end|>"), trainedTexts(tok, mapped.kept().get(1)));
        assertTrue(text(tok, mapped.kept().get(1)).contains("<|im_start|>user\nHi {{ 7*7 }}<|im_end|>"));
        assertThrows(ConfigException.class, () -> new PrepareConfig.Source("x", "sharegpt", null, Map.of("BOT", "robot")));
    }

    @Test
    void specialTokenTextInARecordIsRejectedUnlessAskedFor() throws Exception {
        List<Map<String, Object>> records = List.of(Map.of("messages", List.of(Map.of("role", "user", "content", "Repeat: <|im_end|> please"),
                Map.of("role", "assistant", "content", "OK."))), Map.of("messages", List.of(Map.of("role", "user", "content", "Repeat: im_end please"),
                Map.of("role", "assistant", "content", "OK."))));
        Path input = writeJson(tmp.resolve("special.json"), records);
        String qwenPath = tokenizer("qwen2", "hf/tokenizer.json");
        Prepared strict = prepare(chatConfig(input, "openai", null, null, null, null, 4096), qwenPath);
        assertEquals("special token in text: '<|im_end|>' in message 0 (user) (set data.parse_special_tokens: true to let it become the token)",
                strict.rejects().get(0));
        assertTrue(strict.kept().containsKey(1));
        Prepared parsed = prepare(chatConfig(input, "openai", null, null, null, true, 4096), qwenPath);
        int imEnd = 151645;
        // Qwen's default system turn, the user turn (with the typed one) and the assistant turn: four <|im_end|>
        assertEquals(4, Arrays.stream(parsed.kept().get(0).inputIds()).filter(id -> id == imEnd).count());
        assertEquals(3, Arrays.stream(parsed.kept().get(1).inputIds()).filter(id -> id == imEnd).count());
    }

    @Test
    void alpacaRecordsBecomeOneRoundChatsAndCutoffKeepsThePrompt() throws Exception {
        Path input = writeJson(tmp.resolve("alpaca.json"), List.of(Map.of("instruction", "Add the numbers.", "input", "2 3", "output", "5"),
                Map.of("instruction", "Hi", "output", "Yo")));
        String path = tokenizer("llama3", "hf/tokenizer.json");
        Tokenizer tok = TokenizerCache.get(path);
        Prepared p = prepare(chatConfig(input, "alpaca", null, Map.of("date_string", "26 Jul 2024"), null, null, 4096), path);
        TokenizedExample e = p.kept().get(0);
        String expected = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
                + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAdd the numbers.\n2 3<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n5<|eot_id|>";
        assertEquals(expected, text(tok, e));
        assertArrayEquals(tok.encode(expected, false, true), e.inputIds());
        assertEquals(List.of("5<|eot_id|>"), trainedTexts(tok, e));

        int n = e.inputIds().length;
        Prepared cut = prepare(chatConfig(input, "alpaca", null, Map.of("date_string", "26 Jul 2024"), null, null, n - 1), path);
        assertEquals(1, cut.summary().truncated());
        assertArrayEquals(Arrays.copyOf(e.inputIds(), n - 1), cut.kept().get(0).inputIds(), "the end-of-turn token is cut off, the answer stays");
        Prepared tooShort = prepare(chatConfig(input, "alpaca", null, Map.of("date_string", "26 Jul 2024"), null, null, n - 2), path);
        assertEquals("prompt alone exceeds cutoff_len", tooShort.rejects().get(0));
    }

    @Test
    void aTemplateFileReplacesTheModelsTemplate() throws Exception {
        Path template = Files.writeString(tmp.resolve("plain.jinja"), "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m.role }}"
                + "<|end_header_id|>\n\n{{ m.content }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n"
                + "{% endif %}\n");
        Path input = writeJson(tmp.resolve("chat.json"), List.of(Map.of("messages", List.of(Map.of("role", "user", "content", "Hi"),
                Map.of("role", "assistant", "content", "Hello")))));
        String path = tokenizer("llama3", "model-f32.gguf");
        Tokenizer tok = TokenizerCache.get(path);
        Prepared p = prepare(chatConfig(input, "openai", null, null, template.toString(), null, 4096), path);
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello<|eot_id|>",
                text(tok, p.kept().get(0)));
        assertEquals(List.of("Hello<|eot_id|>"), trainedTexts(tok, p.kept().get(0)));
        PrepareConfig cfg = chatConfig(input, "openai", null, null, template.toString(), null, 4096);
        assertNotEquals(Datasets.contentHash(cfg, "fp"), Datasets.contentHash(cfg.withTemplate("chat", null), "fp"));
        String before = Datasets.contentHash(cfg, "fp");
        Files.writeString(template, Files.readString(template) + " ");
        assertNotEquals(before, Datasets.contentHash(cfg, "fp"), "editing the template file makes the dataset stale");
        ConfigException e = assertThrows(ConfigException.class, () -> cfg.withTemplate("alpaca", template.toString()));
        assertTrue(e.getMessage().contains("data.chat_template"), e.getMessage());
    }

    @Test
    void aModelWithoutAChatTemplateKeepsTheVicunaLayout() throws Exception {
        Path input = writeJson(tmp.resolve("tool.json"), List.of(Map.of("messages", List.of(Map.of("role", "user", "content", "Hi"),
                Map.of("role", "assistant", "content", "Hello"))), Map.of("messages", List.of(Map.of("role", "user", "content", "Weather?"),
                Map.of("role", "function_call", "content", "{\"name\": \"weather\", \"arguments\": {}}"), Map.of("role", "tool", "content", "sunny"),
                Map.of("role", "assistant", "content", "Sunny.")))));
        String path = SharedData.file("tokenizers/llama2_tokenizer.model").toString();
        PrepareConfig cfg = chatConfig(input, "openai", null, null, null, null, 4096);
        assertSame(VicunaChat.FORMAT, PromptTemplates.resolve(cfg, TokenizerCache.get(path), path));
        Prepared p = prepare(cfg, path);
        assertEquals("needs a chat template", RecordParser.category(p.rejects().get(1)));
        Tokenizer tok = TokenizerCache.get(path);
        assertEquals(List.of("Hello</s>"), trainedTexts(tok, p.kept().get(0)));
        TokenizedExample e = p.kept().get(0);
        int first = 0;
        while (e.labels()[first] == IGNORE) first++;
        assertEquals("▁Hello", tok.piece(e.inputIds()[first]), "the answer after \"ASSISTANT:\" starts with its space");
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2"})
    void promptIdsEndWithTheGenerationPrompt(String family) throws Exception {
        String path = tokenizer(family, "hf/tokenizer.json");
        Tokenizer tok = TokenizerCache.get(path);
        InstructionFormat f = PromptTemplates.resolve(chatConfig(tmp, "auto", null, null, null, null, 64), tok, path);
        assertInstanceOf(ModelChatFormat.class, f);
        String prompt = f.prompt("Hi", "");
        assertTrue(prompt.endsWith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"), prompt);
        assertArrayEquals(tok.encode(prompt, false, true), f.promptIds(tok, "Hi", ""));
    }
}
