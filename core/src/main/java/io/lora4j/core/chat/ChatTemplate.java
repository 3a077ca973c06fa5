package io.lora4j.core.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's own Jinja chat template, rendered as transformers' {@code apply_chat_template(messages, tools=tools,
 * add_generation_prompt=…, **kwargs)} renders it, plus where each assistant turn ends up in the text.
 *
 * <p>Spans come from prefix renderings: turn i's target starts where {@code messages[0..i)} rendered with the
 * generation prompt ends, and ends after the last end-of-turn token of {@code messages[0..i]} rendered without it.
 * Both must be prefixes of the whole rendering, which holds for templates that render turn by turn (Llama-3, Qwen2.5,
 * Mistral); a template for which it does not hold is reported instead of guessed at.
 */
public final class ChatTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String source;
    /** The source as jinjava should read it (see {@link NotPrecedence}). */
    private final String forJinjava;
    private final Map<String, Object> specialTokens;
    private final String endOfTurn;
    private final JinjaEnvironment env = new JinjaEnvironment();

    /**
     * @param source        the Jinja template
     * @param specialTokens what transformers passes as template variables: bos_token, eos_token, unk_token, pad_token
     * @param endOfTurn     the token text that ends an assistant turn ("&lt;|eot_id|&gt;", "&lt;|im_end|&gt;", "&lt;/s&gt;")
     */
    public ChatTemplate(String source, Map<String, String> specialTokens, String endOfTurn) {
        if (source == null || source.isBlank()) throw new IllegalArgumentException("empty chat template");
        if (endOfTurn == null || endOfTurn.isEmpty()) throw new IllegalArgumentException("the chat template needs an end-of-turn token text");
        this.source = source;
        this.forJinjava = NotPrecedence.rewrite(withoutFinalNewline(source));
        this.specialTokens = new HashMap<>(specialTokens);
        this.endOfTurn = endOfTurn;
    }

    /** Jinja2 drops one newline at the end of the template source (keep_trailing_newline=False), not of the output. */
    private static String withoutFinalNewline(String s) {
        if (s.endsWith("\r\n")) return s.substring(0, s.length() - 2);
        return s.endsWith("\n") || s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** The tokenizer's template (tokenizer_config.json chat_template or GGUF tokenizer.chat_template); the end of turn is its EOS. */
    public static ChatTemplate forTokenizer(Tokenizer tok) {
        String template = tok.model().chatTemplate()
                .orElseThrow(() -> new IllegalArgumentException("the tokenizer has no chat template (tokenizer_config.json chat_template / GGUF tokenizer.chat_template)"));
        if (tok.eosId() < 0) throw new IllegalArgumentException("the tokenizer has no EOS token to end assistant turns");
        Map<String, String> special = new HashMap<>();
        putPiece(special, "bos_token", tok, tok.bosId());
        putPiece(special, "eos_token", tok, tok.eosId());
        putPiece(special, "unk_token", tok, tok.unkId());
        putPiece(special, "pad_token", tok, tok.padId());
        return new ChatTemplate(template, special, tok.piece(tok.eosId()));
    }

    private static void putPiece(Map<String, String> m, String key, Tokenizer tok, int id) {
        if (id >= 0) m.put(key, tok.piece(id));
    }

    /**
     * From a Hugging Face tokenizer_config.json: its chat_template (a string, or the one named "default" of a list;
     * else chat_template.jinja beside it) and special tokens exactly as transformers passes them; the end of turn is eos_token.
     */
    public static ChatTemplate fromTokenizerConfig(Path tokenizerConfig) throws IOException {
        JsonNode cfg = JSON.readTree(tokenizerConfig.toFile());
        String template = null;
        JsonNode t = cfg.path("chat_template");
        if (t.isTextual()) {
            template = t.asText();
        } else if (t.isArray()) {
            for (JsonNode named : t) if (named.path("name").asText().equals("default")) template = named.path("template").asText();
        }
        Path jinja = tokenizerConfig.resolveSibling("chat_template.jinja");
        if (template == null && Files.exists(jinja)) template = Files.readString(jinja);
        if (template == null) throw new IOException(tokenizerConfig + ": no chat_template (and no chat_template.jinja beside it)");
        Map<String, String> special = new HashMap<>();
        for (String key : new String[] {"bos_token", "eos_token", "unk_token", "pad_token"}) {
            JsonNode v = cfg.path(key);
            String text = v.isTextual() ? v.asText() : v.path("content").isTextual() ? v.path("content").asText() : null;
            if (text != null) special.put(key, text);
        }
        if (!special.containsKey("eos_token")) throw new IOException(tokenizerConfig + ": no eos_token to end assistant turns");
        return new ChatTemplate(template, special, special.get("eos_token"));
    }

    public String source() {
        return source;
    }

    public String endOfTurn() {
        return endOfTurn;
    }

    /**
     * The rendered text alone.
     *
     * @param tools     OpenAI-style tool definitions, or null for none
     * @param extraVars further template variables (Llama-3's date_string, tools_in_user_message, …), or null
     * @throws ChatTemplateException when the template rejects the conversation
     */
    public String renderText(List<ChatMessage> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt, Map<String, Object> extraVars) {
        Map<String, Object> vars = new HashMap<>(specialTokens);
        if (extraVars != null) vars.putAll(extraVars);
        List<Map<String, Object>> values = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) values.add(m.toTemplateValue());
        vars.put("messages", values);
        vars.put("tools", tools);
        vars.put("add_generation_prompt", addGenerationPrompt);
        return env.render(forJinjava, vars);
    }

    /** The rendered text and the span of every assistant turn (see the class comment); arguments as {@link #renderText}. */
    public RenderedChat render(List<ChatMessage> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt, Map<String, Object> extraVars) {
        String text = renderText(messages, tools, addGenerationPrompt, extraVars);
        List<RenderedChat.AssistantSpan> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).role().equals("assistant")) continue;
            String before = renderPrefix(messages.subList(0, i), tools, extraVars, true, i, text);
            String through = renderPrefix(messages.subList(0, i + 1), tools, extraVars, false, i, text);
            int targetStart = before.length();
            int eot = through.lastIndexOf(endOfTurn);
            if (eot < targetStart) {
                throw new ChatTemplateException("assistant message " + i + ": the template writes no end-of-turn '" + endOfTurn + "' after it");
            }
            int[] content = contentSpan(messages.get(i), text, targetStart, eot);
            spans.add(new RenderedChat.AssistantSpan(i, content[0], content[1], targetStart, eot + endOfTurn.length()));
        }
        return new RenderedChat(text, spans);
    }

    private String renderPrefix(List<ChatMessage> prefix, List<Map<String, Object>> tools, Map<String, Object> extraVars, boolean generationPrompt,
            int index, String whole) {
        String part;
        try {
            part = renderText(prefix, tools, generationPrompt, extraVars);
        } catch (ChatTemplateException e) {
            throw new ChatTemplateException("assistant message " + index + ": the conversation before it cannot be rendered on its own ("
                    + e.getMessage() + "), so its span is unknown", e);
        }
        if (!whole.startsWith(part)) {
            throw new ChatTemplateException("assistant message " + index + ": rendering the conversation up to it (generation prompt "
                    + generationPrompt + ") is not a prefix of the whole rendering, so this template's spans cannot be found by prefixes");
        }
        return part;
    }

    /** Where the content sits between the target start and the end of turn: as given, else stripped (Llama-3 trims), else all of it. */
    private static int[] contentSpan(ChatMessage m, String text, int from, int to) {
        String region = text.substring(from, to);
        String c = m.content();
        if (m.toolCalls() == null && c != null && !c.isEmpty()) {
            for (String candidate : new String[] {c, JinjaEnvironment.pyStrip(c)}) {
                int at = candidate.isEmpty() ? -1 : region.lastIndexOf(candidate);
                if (at >= 0) return new int[] {from + at, from + at + candidate.length()};
            }
        }
        return new int[] {from, to};
    }

    /** Template variables as a map, for callers building extraVars. */
    public static Map<String, Object> vars(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) m.put((String) keyValues[i], keyValues[i + 1]);
        return m;
    }
}
