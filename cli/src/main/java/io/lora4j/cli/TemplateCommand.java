package io.lora4j.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.chat.ChatMessage;
import io.lora4j.core.chat.ChatTemplate;
import io.lora4j.core.chat.ChatTokens;
import io.lora4j.core.chat.RenderedChat;
import io.lora4j.core.model.TokenizerLocator;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import io.lora4j.data.ModelChatFormat;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lora4j template}: a conversation rendered by the model's own chat template, as transformers'
 * apply_chat_template renders it: the text, its token ids, or both with the assistant spans (what training takes the
 * loss on) as JSON.
 */
@Command(name = "template", mixinStandardHelpOptions = true,
        description = "Render a messages file with the model's chat template: the text, the token ids (--ids), or JSON with the assistant spans (--json).")
final class TemplateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = {"-m", "--model"}, required = true, description = "Model or tokenizer: .gguf, tokenizer.json, HF directory (its tokenizer_config.json chat_template)")
    Path model;

    @Option(names = "--messages", required = true, paramLabel = "FILE.json",
            description = "{\"messages\": [{role, content, tool_calls...}], \"tools\": [...]}; any other top-level key is a template variable (e.g. date_string)")
    Path messages;

    @Option(names = "--chat-template", paramLabel = "FILE.jinja", description = "A Jinja template used instead of the model's")
    Path chatTemplate;

    @Option(names = "--generation-prompt", description = "End with the prompt that opens the assistant's turn (add_generation_prompt)")
    boolean generationPrompt;

    @Option(names = "--ids", description = "Print the token ids as a JSON array instead of the text")
    boolean ids;

    @Option(names = "--json", description = "Print JSON: text, ids, assistant_spans (code-point offsets, as Python's) and assistant_token_mask")
    boolean json;

    /** A messages file: the conversation, the tools and the other template variables. */
    record Conversation(List<ChatMessage> messages, List<Map<String, Object>> tools, Map<String, Object> vars) {}

    @Override
    public Integer call() throws Exception {
        Path tokPath = TokenizerLocator.locate(model, Optional.empty());
        Tokenizer tok = Tokenizers.load(tokPath);
        ChatTemplate template = ModelChatFormat.chatTemplate(tok, tokPath.toString(), chatTemplate == null ? null : chatTemplate.toString());
        Conversation c = read(messages);
        RenderedChat chat = template.render(c.messages(), c.tools(), generationPrompt, c.vars());
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8); // templates write non-ASCII text whatever the locale
        if (json) {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(describe(chat, ChatTokens.of(tok, chat))));
        } else if (ids) {
            out.println(Arrays.stream(tok.encodeTemplate(chat.text())).mapToObj(String::valueOf).collect(Collectors.joining(", ", "[", "]")));
        } else {
            out.print(chat.text()); // exactly the rendered text: a newline of our own would read as part of it
            if (System.console() != null && !chat.text().endsWith("\n")) out.println();
        }
        out.flush();
        return 0;
    }

    static Conversation read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("messages file " + file + ": no such file");
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("messages file " + file + ": not JSON (" + e.getMessage().split("\n")[0] + ")", e);
        }
        if (root == null || !root.isObject() || !root.path("messages").isArray()) {
            throw new IOException("messages file " + file + ": expected a JSON object {\"messages\": [...], \"tools\": [...]}");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : root.get("messages")) {
            try {
                messages.add(ChatMessage.fromJson(m));
            } catch (IllegalArgumentException e) {
                throw new IOException("messages file " + file + ": message " + messages.size() + ": " + e.getMessage(), e);
            }
        }
        List<Map<String, Object>> tools = null;
        if (root.hasNonNull("tools")) {
            if (!root.get("tools").isArray()) throw new IOException("messages file " + file + ": \"tools\" must be a list of tool definitions");
            tools = JSON.convertValue(root.get("tools"), new TypeReference<>() {});
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        root.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("messages") && !e.getKey().equals("tools")) vars.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
        });
        return new Conversation(messages, tools, vars);
    }

    /** The --json output; spans in code points, like the [start, end) of Python strings (and chat_cases.json). */
    static ObjectNode describe(RenderedChat chat, ChatTokens tokens) {
        String text = chat.text();
        ObjectNode out = JSON.createObjectNode();
        out.put("text", text);
        ArrayNode ids = out.putArray("ids");
        for (int id : tokens.ids()) ids.add(id);
        ArrayNode spans = out.putArray("assistant_spans");
        for (RenderedChat.AssistantSpan s : chat.assistantSpans()) {
            ObjectNode o = spans.addObject();
            o.put("message_index", s.messageIndex());
            o.putArray("content").add(text.codePointCount(0, s.contentStart())).add(text.codePointCount(0, s.contentEnd()));
            o.putArray("target").add(text.codePointCount(0, s.targetStart())).add(text.codePointCount(0, s.targetEnd()));
            o.put("content_text", text.substring(s.contentStart(), s.contentEnd()));
            o.put("target_text", text.substring(s.targetStart(), s.targetEnd()));
        }
        ArrayNode mask = out.putArray("assistant_token_mask");
        for (boolean b : tokens.lossMask()) mask.add(b ? 1 : 0);
        return out;
    }
}
