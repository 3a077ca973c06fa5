package io.lora4j.data;

import java.util.List;

/**
 * One training conversation: alternating turns, each either prompt text (masked unless train_on_inputs) or a
 * response the model must learn (an Alpaca record is one prompt and one response; ShareGPT may have many).
 *
 * @param source where it came from, e.g. "data/alpaca.json:17"
 */
public record InstructionRecord(List<Turn> turns, String source) {

    /** A piece of text and whether the loss is taken on it. */
    public record Turn(String text, boolean trained) {}

    public static InstructionRecord alpaca(PromptTemplate template, String instruction, String input, String output, String source) {
        return new InstructionRecord(List.of(new Turn(template.prompt(instruction, input), false), new Turn(output, true)), source);
    }
}
