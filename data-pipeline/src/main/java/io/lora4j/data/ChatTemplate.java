package io.lora4j.data;

import java.util.ArrayList;
import java.util.List;

/**
 * The chat template used for ShareGPT conversations (and for Alpaca records with {@code template: chat}): the Vicuna
 * v1.1 layout of FastChat, {@code "<system> USER: <q> ASSISTANT: <a></s>USER: <q2> ASSISTANT: <a2></s>"}. Everything up
 * to and including "ASSISTANT:" is prompt (masked); " <answer>" plus EOS is trained. A system turn given first
 * replaces the default system text; a later one is kept as prompt text.
 */
final class ChatTemplate {
    static final String NAME = "chat";
    static final String DEFAULT_SYSTEM = "A chat between a curious user and an artificial intelligence assistant. "
            + "The assistant gives helpful, detailed, and polite answers to the user's questions.";

    /** The chat layout as a template for Alpaca records. */
    static final InstructionFormat FORMAT = new InstructionFormat() {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String prompt(String instruction, String input) {
            return single(instruction, input, "", "").turns().get(0).text();
        }

        @Override
        public InstructionRecord record(String instruction, String input, String output, String source) {
            return single(instruction, input, output, source);
        }
    };

    /** One turn of a conversation; role is "system", "user" or "assistant". */
    record Message(String role, String text) {}

    private ChatTemplate() {}

    /** The turns to train on, or null when no assistant turn is present. */
    static InstructionRecord render(List<Message> messages, String source) {
        List<InstructionRecord.Turn> turns = new ArrayList<>();
        StringBuilder prompt = new StringBuilder(DEFAULT_SYSTEM);
        boolean first = true;
        for (Message m : messages) {
            switch (m.role()) {
                case "system" -> {
                    if (first) prompt.setLength(0);
                    separate(prompt).append(m.text());
                }
                case "user" -> separate(prompt).append("USER: ").append(m.text());
                case "assistant" -> {
                    separate(prompt).append("ASSISTANT:");
                    turns.add(new InstructionRecord.Turn(prompt.toString(), false));
                    turns.add(new InstructionRecord.Turn(" " + m.text(), true));
                    prompt.setLength(0); // EOS follows the answer; the next prompt starts right after it, without a space
                }
                default -> throw new IllegalArgumentException("role " + m.role());
            }
            first = false;
        }
        return turns.isEmpty() ? null : new InstructionRecord(turns, source);
    }

    /** An Alpaca record as a one-round chat: the input follows the instruction on a new line. */
    static InstructionRecord single(String instruction, String input, String output, String source) {
        String q = input == null || input.isEmpty() ? instruction : instruction + "\n" + input;
        return render(List.of(new Message("user", q), new Message("assistant", output)), source);
    }

    private static StringBuilder separate(StringBuilder b) {
        if (b.length() > 0 && b.charAt(b.length() - 1) != ' ') b.append(' ');
        return b;
    }
}
