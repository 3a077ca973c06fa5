package io.lora4j.data;

import java.io.IOException;
import java.util.List;

/** Every template name lora4j knows, in one place: {@code data.template} → an {@link InstructionFormat}. */
public final class PromptTemplates {
    /** The built-in names; anything else must be an alpaca-lora template JSON file. */
    public static final List<String> NAMES = List.of("alpaca", "alpaca_short", ChatTemplate.NAME);

    private PromptTemplates() {}

    public static InstructionFormat resolve(String nameOrFile) throws IOException {
        switch (nameOrFile) {
            case "alpaca": return PromptTemplate.ALPACA;
            case "alpaca_short": return PromptTemplate.ALPACA_SHORT;
            case ChatTemplate.NAME: return ChatTemplate.FORMAT;
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
