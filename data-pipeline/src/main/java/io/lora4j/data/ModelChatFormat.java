package io.lora4j.data;

import io.lora4j.core.chat.ChatMessage;
import io.lora4j.core.chat.ChatTemplate;
import io.lora4j.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code data.template: chat} on a model that has a chat template: every record is rendered by the model's own Jinja
 * template (tokenizer_config.json chat_template or GGUF tokenizer.chat_template), or by {@code data.chat_template},
 * exactly as transformers' apply_chat_template renders it ({@link ChatTemplate}), and {@link ChatEncoder} turns it into
 * ids and labels. It travels to Spark executors as the template's source; each rebuilds the template on first use.
 */
public final class ModelChatFormat implements InstructionFormat {
    private final String source;
    private final String origin;
    private final HashMap<String, String> specialTokens;
    private final String endOfTurn;
    private final LinkedHashMap<String, Object> vars;
    private final boolean parseSpecialTokens;
    private transient ChatTemplate template;

    private ModelChatFormat(String source, String origin, Map<String, String> specialTokens, String endOfTurn, Map<String, Object> vars,
                            boolean parseSpecialTokens) {
        this.source = source;
        this.origin = origin;
        this.specialTokens = new HashMap<>(specialTokens);
        this.endOfTurn = endOfTurn;
        this.vars = new LinkedHashMap<>(vars);
        this.parseSpecialTokens = parseSpecialTokens;
        template(); // a template jinjava cannot read fails here, on the driver
    }

    /**
     * The chat template {@code cfg} asks for with this tokenizer (see {@link #locate}); null when there is none (the
     * caller falls back to the Vicuna layout).
     */
    static ModelChatFormat find(PrepareConfig cfg, Tokenizer tok, String tokenizerPath) throws IOException {
        String[] found = locate(tok, tokenizerPath, cfg.chatTemplate());
        if (found == null) return null;
        try {
            return new ModelChatFormat(found[0], found[1], specialTokens(tok), endOfTurn(tok, found[1]), cfg.templateVars(), cfg.parseSpecialTokens());
        } catch (IllegalArgumentException e) {
            throw new IOException(found[1] + ": " + e.getMessage(), e);
        }
    }

    /**
     * The chat template of this tokenizer, as transformers would render it: {@code templateFile} when given, else the
     * tokenizer's own; fails when there is none.
     */
    public static ChatTemplate chatTemplate(Tokenizer tok, String tokenizerPath, String templateFile) throws IOException {
        String[] found = locate(tok, tokenizerPath, templateFile);
        if (found == null) {
            throw new IOException(tokenizerPath + " has no chat template (tokenizer_config.json chat_template / chat_template.jinja / GGUF "
                    + "tokenizer.chat_template); give a template file");
        }
        try {
            return new ChatTemplate(found[0], specialTokens(tok), endOfTurn(tok, found[1]));
        } catch (IllegalArgumentException e) {
            throw new IOException(found[1] + ": " + e.getMessage(), e);
        }
    }

    /**
     * {source, where it came from}: {@code templateFile} when given, else the tokenizer's own template (its
     * vocabulary's, else a tokenizer_config.json beside {@code tokenizerPath}, which may keep it in a list or in
     * chat_template.jinja); null when there is none.
     */
    private static String[] locate(Tokenizer tok, String tokenizerPath, String templateFile) throws IOException {
        if (templateFile != null) {
            Path file = Path.of(templateFile);
            if (!Files.isRegularFile(file)) throw new IOException("chat template file '" + templateFile + "': no such file");
            String source = Files.readString(file);
            if (source.isBlank()) throw new IOException("chat template file '" + templateFile + "': the file is empty");
            return new String[] {source, file.toString()};
        }
        if (tok.model().chatTemplate().isPresent()) return new String[] {tok.model().chatTemplate().get(), "the chat template of " + tokenizerPath};
        Path config = tokenizerConfigBeside(Path.of(tokenizerPath));
        if (config == null) return null;
        try {
            return new String[] {ChatTemplate.fromTokenizerConfig(config).source(), "the chat template of " + config};
        } catch (IOException e) {
            return null; // no chat_template there
        }
    }

    private static String endOfTurn(Tokenizer tok, String origin) throws IOException {
        if (tok.eosId() < 0) throw new IOException(origin + ": the tokenizer has no EOS token to end assistant turns");
        return tok.piece(tok.eosId());
    }

    private static Path tokenizerConfigBeside(Path tokenizer) {
        Path c = Files.isDirectory(tokenizer) ? tokenizer.resolve("tokenizer_config.json") : tokenizer.resolveSibling("tokenizer_config.json");
        return Files.isRegularFile(c) ? c : null;
    }

    /** What transformers passes a template besides the messages: the special tokens' texts. */
    static Map<String, String> specialTokens(Tokenizer tok) {
        Map<String, String> m = new HashMap<>();
        int[] ids = {tok.bosId(), tok.eosId(), tok.unkId(), tok.padId()};
        String[] keys = {"bos_token", "eos_token", "unk_token", "pad_token"};
        for (int i = 0; i < ids.length; i++) if (ids[i] >= 0) m.put(keys[i], tok.piece(ids[i]));
        return m;
    }

    /** The template, built on first use in this JVM. */
    ChatTemplate template() {
        if (template == null) template = new ChatTemplate(source, specialTokens, endOfTurn);
        return template;
    }

    /** Where the template came from: the data.chat_template file or the tokenizer. */
    public String origin() {
        return origin;
    }

    /** data.template_vars: further template variables for every record. */
    Map<String, Object> vars() {
        return vars;
    }

    boolean parseSpecialTokens() {
        return parseSpecialTokens;
    }

    @Override
    public String name() {
        return PrepareConfig.CHAT;
    }

    /** One user message rendered with the generation prompt (special tokens written out, the BOS included). */
    @Override
    public String prompt(String instruction, String input) {
        String q = input == null || input.isEmpty() ? instruction : instruction + "\n" + input;
        return template().renderText(List.of(ChatMessage.user(q)), null, true, vars);
    }

    @Override
    public int[] promptIds(Tokenizer tok, String instruction, String input) {
        return tok.encodeTemplate(prompt(instruction, input));
    }

    /** Records go through {@link ChatEncoder} (ids and labels from the rendered chat), never through turn texts. */
    @Override
    public InstructionRecord record(String instruction, String input, String output, String source) {
        throw new UnsupportedOperationException("a model chat template encodes conversations with ChatEncoder");
    }
}
