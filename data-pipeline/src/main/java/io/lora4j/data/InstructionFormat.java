package io.lora4j.data;

import io.lora4j.core.tokenizer.Tokenizer;

/**
 * How an instruction (and optional input) becomes the text a model is prompted with, and a training record: an
 * alpaca-style {@link PromptTemplate}, the {@link VicunaChat} layout, or the model's own chat template
 * ({@link ModelChatFormat}). {@link PromptTemplates#resolve} is the one place that turns a {@code data.template}
 * value into one of these.
 */
public interface InstructionFormat extends java.io.Serializable {
    /** The configured name (alpaca, alpaca_short, chat, or the template file's name). */
    String name();

    /** Everything the model sees before its answer. */
    String prompt(String instruction, String input);

    /**
     * The prompt as token ids, what generation starts from: the text with the BOS the vocabulary adds; a model chat
     * template writes its special tokens (and BOS) itself, so they are parsed rather than added.
     */
    default int[] promptIds(Tokenizer tok, String instruction, String input) {
        return tok.encode(prompt(instruction, input), true);
    }

    /** A training record: the prompt (masked unless train_on_inputs) and the output (trained). */
    InstructionRecord record(String instruction, String input, String output, String source);
}
