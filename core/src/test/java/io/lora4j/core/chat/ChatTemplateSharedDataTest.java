package io.lora4j.core.chat;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.testing.SharedData;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every conversation of families/F/chat_cases.json, rendered by the family's own template through jinjava: the text
 * transformers' apply_chat_template gave, its ids, the assistant content and target spans, and the token mask.
 */
class ChatTemplateSharedDataTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Tokenizer> TOKENIZERS = new HashMap<>();

    static synchronized Tokenizer tokenizer(String family, String file) throws Exception {
        String key = family + "/" + file;
        Tokenizer t = TOKENIZERS.get(key);
        if (t == null) TOKENIZERS.put(key, t = Tokenizers.load(SharedData.file("families/" + key)));
        return t;
    }

    static JsonNode cases(String family) throws Exception {
        return JSON.readTree(SharedData.file("families/" + family + "/chat_cases.json").toFile());
    }

    static List<ChatMessage> messages(JsonNode c) {
        List<ChatMessage> m = new ArrayList<>();
        for (JsonNode x : c.path("messages")) m.add(ChatMessage.fromJson(x));
        return m;
    }

    static List<Map<String, Object>> tools(JsonNode c) {
        return c.hasNonNull("tools") ? JSON.convertValue(c.get("tools"), new TypeReference<List<Map<String, Object>>>() {}) : null;
    }

    /** A Python (code point) offset as a Java (UTF-16) index. */
    static int utf16(String s, int codePoints) {
        return s.offsetByCodePoints(0, codePoints);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen2", "mistral"})
    void everyCaseRendersTokenizesAndMasksLikeTransformers(String family) throws Exception {
        JsonNode root = cases(family);
        Map<String, Object> kwargs = JSON.convertValue(root.path("template_kwargs"), new TypeReference<Map<String, Object>>() {});
        Tokenizer tok = tokenizer(family, "hf/tokenizer.json");
        ChatTemplate fromConfig = ChatTemplate.fromTokenizerConfig(SharedData.file("families/" + family + "/hf/tokenizer_config.json"));
        ChatTemplate fromGguf = ChatTemplate.forTokenizer(tokenizer(family, "model-f32.gguf"));
        assertEquals(root.path("eot_text").asText(), fromConfig.endOfTurn());
        assertEquals(root.path("eot_text").asText(), fromGguf.endOfTurn());
        int rendered = 0;
        for (JsonNode c : root.path("cases")) {
            String name = family + "/" + c.path("name").asText();
            List<ChatMessage> messages = messages(c);
            if (c.path("rendered").isNull()) { // the template rejects it (Mistral's has no tool support)
                assertTrue(c.hasNonNull("error"), name);
                assertThrows(ChatTemplateException.class, () -> fromConfig.render(messages, tools(c), false, kwargs), name);
                continue;
            }
            String expected = c.path("rendered").asText();
            RenderedChat chat = fromConfig.render(messages, tools(c), false, kwargs);
            assertEquals(expected, chat.text(), name);
            assertEquals(expected, fromGguf.renderText(messages, tools(c), false, kwargs), name + " with the GGUF's template");

            JsonNode spans = c.path("assistant_spans");
            assertEquals(spans.size(), chat.assistantSpans().size(), name);
            for (int i = 0; i < spans.size(); i++) {
                JsonNode s = spans.get(i);
                RenderedChat.AssistantSpan got = chat.assistantSpans().get(i);
                assertEquals(s.path("message_index").asInt(), got.messageIndex(), name);
                assertEquals(utf16(expected, s.path("content").get(0).asInt()), got.contentStart(), name + " content start " + i);
                assertEquals(utf16(expected, s.path("content").get(1).asInt()), got.contentEnd(), name + " content end " + i);
                assertEquals(utf16(expected, s.path("target").get(0).asInt()), got.targetStart(), name + " target start " + i);
                assertEquals(utf16(expected, s.path("target").get(1).asInt()), got.targetEnd(), name + " target end " + i);
                assertEquals(s.path("target_text").asText(), expected.substring(got.targetStart(), got.targetEnd()), name);
            }

            ChatTokens tokens = ChatTokens.of(tok, chat);
            int[] ids = JSON.convertValue(c.path("ids"), int[].class);
            assertArrayEquals(ids, tokens.ids(), name + " ids");
            int[] mask = JSON.convertValue(c.path("assistant_token_mask"), int[].class);
            int[] gotMask = new int[tokens.lossMask().length];
            for (int i = 0; i < gotMask.length; i++) gotMask[i] = tokens.lossMask()[i] ? 1 : 0;
            assertArrayEquals(mask, gotMask, name + " mask");
            assertTrue(tokens.trainedTokens() > 0, name);
            assertArrayEquals(ids, ChatTokens.of(tokenizer(family, "model-f32.gguf"), chat).ids(), name + " ids from the GGUF tokenizer");
            rendered++;
        }
        assertEquals(family.equals("mistral") ? 5 : 6, rendered);
    }

    @Test
    void llama3WithoutDateStringUsesTodayAndTheGenerationPromptOpensAnAssistantTurn() throws Exception {
        ChatTemplate t = ChatTemplate.fromTokenizerConfig(SharedData.file("families/llama3/hf/tokenizer_config.json"));
        List<ChatMessage> chat = List.of(ChatMessage.user("Hi"));
        String today = LocalDate.now().format(DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH));
        String text = t.renderText(chat, null, true, null);
        assertTrue(text.contains("Today Date: " + today + "\n"), text);
        assertTrue(text.endsWith("<|start_header_id|>assistant<|end_header_id|>\n\n"), text);
        assertEquals(List.of(), t.render(chat, null, true, null).assistantSpans());
    }

    @Test
    void qwenTrainsOnTheReplyAndItsImEndOnly() throws Exception {
        Tokenizer tok = tokenizer("qwen2", "hf/tokenizer.json");
        ChatTemplate t = ChatTemplate.forTokenizer(tok);
        RenderedChat chat = t.render(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello")), null, false, null);
        ChatTokens tokens = ChatTokens.of(tok, chat);
        assertEquals(Arrays.stream(tokens.ids()).filter(id -> id == 151645).count(), 3, "three <|im_end|>: system, user, assistant");
        // trained: "Hello" and <|im_end|>, not the "\n" after it
        assertEquals(2, tokens.trainedTokens());
    }

    @Test
    void mistralRejectsAToolTurnAndBrokenAlternation() throws Exception {
        ChatTemplate t = ChatTemplate.fromTokenizerConfig(SharedData.file("families/mistral/hf/tokenizer_config.json"));
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> t.renderText(List.of(ChatMessage.user("a"), ChatMessage.user("b")), null, false, null));
        assertTrue(e.getMessage().contains("roles must alternate"), e.getMessage());
    }
}
