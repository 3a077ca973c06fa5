package io.lora4j.data;

import io.lora4j.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.List;

/** Every template name lora4j knows, in one place: {@code data.template} → an {@link InstructionFormat}. */
public final class PromptTemplates {
    /** The built-in names; anything else must be an alpaca-lora template JSON file. */
    public static final List<String> NAMES = List.of("alpaca", "alpaca_short", VicunaChat.NAME);

    private PromptTemplates() {}

    /**
     * The format of {@code cfg} for this tokenizer: for {@code chat}, the model's own chat template (or
     * data.chat_template) when there is one, else the Vicuna layout; any other name as {@link #resolve(String)}.
     *
     * @param tokenizerPath where the tokenizer was loaded from (a tokenizer_config.json beside it may hold the template)
     */
    public static InstructionFormat resolve(PrepareConfig cfg, Tokenizer tok, String tokenizerPath) throws IOException {
        if (cfg.template().equals(PrepareConfig.CHAT)) {
            ModelChatFormat own = ModelChatFormat.find(cfg, tok, tokenizerPath);
            if (own != null) return own;
        }
        return resolve(cfg.template());
    }

    /** A template by name or file; {@code chat} here is the Vicuna layout (the model's template needs its tokenizer, above). */
    public static InstructionFormat resolve(String nameOrFile) throws IOException {
        switch (nameOrFile) {
            case "alpaca": return PromptTemplate.ALPACA;
            case "alpaca_short": return PromptTemplate.ALPACA_SHORT;
            case VicunaChat.NAME: return VicunaChat.FORMAT;
            default:
        }
        try {
            return PromptTemplate.fromFile(nameOrFile);
        } catch (IOException e) {
            throw new IOException("data.template = '" + nameOrFile + "': expected one of " + NAMES + " or an alpaca-lora template JSON file ("
                    + e.getMessage() + ")", e);
        }
    }
}
