package io.lora4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An instruction prompt template in alpaca-lora's JSON form ({@code prompt_input}, {@code prompt_no_input},
 * {@code response_split}); the input variant is used only when the record's input is non-empty (REFERENCE.md F.1).
 */
public record PromptTemplate(String name, String promptInput, String promptNoInput, String responseSplit) implements InstructionFormat {

    /** alpaca-lora's templates/alpaca.json, exactly (note the newline after "### Response:"). */
    public static final PromptTemplate ALPACA = new PromptTemplate("alpaca",
            "Below is an instruction that describes a task, paired with an input that provides further context. "
                    + "Write a response that appropriately completes the request.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n",
            "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
                    + "### Instruction:\n{instruction}\n\n### Response:\n",
            "### Response:");

    /** alpaca-lora's templates/alpaca_short.json. */
    public static final PromptTemplate ALPACA_SHORT = new PromptTemplate("alpaca_short",
            "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n",
            "### Instruction:\n{instruction}\n\n### Response:\n",
            "### Response:");

    /** A template file in alpaca-lora's JSON form (names are resolved by {@link PromptTemplates#resolve}). */
    static PromptTemplate fromFile(String nameOrFile) throws IOException {
        Path p = Path.of(nameOrFile);
        if (!Files.exists(p)) throw new IOException("no such file");
        JsonNode t = new ObjectMapper().readTree(p.toFile());
        for (String k : new String[] {"prompt_input", "prompt_no_input"}) {
            if (!t.path(k).isTextual()) throw new IOException(p + ": template key '" + k + "' is missing or not a string");
        }
        return new PromptTemplate(p.getFileName().toString().replaceFirst("\\.json$", ""), t.get("prompt_input").asText(),
                t.get("prompt_no_input").asText(), t.path("response_split").asText("### Response:"));
    }

    /** The prompt (everything before the response) for one record. */
    public String prompt(String instruction, String input) {
        if (input != null && !input.isEmpty()) return promptInput.replace("{instruction}", instruction).replace("{input}", input);
        return promptNoInput.replace("{instruction}", instruction);
    }

    @Override
    public InstructionRecord record(String instruction, String input, String output, String source) {
        return InstructionRecord.alpaca(this, instruction, input, output, source);
    }
}
