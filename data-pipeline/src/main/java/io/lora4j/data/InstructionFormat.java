package io.lora4j.data;

/**
 * How an instruction (and optional input) becomes the text a model is prompted with, and a training record: an
 * alpaca-style {@link PromptTemplate} or the {@link ChatTemplate}. {@link PromptTemplates#resolve} is the one place
 * that turns a {@code data.template} value into one of these.
 */
public interface InstructionFormat extends java.io.Serializable {
    /** The configured name (alpaca, alpaca_short, chat, or the template file's name). */
    String name();

    /** Everything the model sees before its answer. */
    String prompt(String instruction, String input);

    /** A training record: the prompt (masked unless train_on_inputs) and the output (trained). */
    InstructionRecord record(String instruction, String input, String output, String source);
}
