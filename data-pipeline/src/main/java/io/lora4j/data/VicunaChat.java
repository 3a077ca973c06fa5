package io.lora4j.data;

import io.lora4j.core.chat.ChatMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * The chat layout used for conversations when the model has no chat template of its own (stories260K, LLaMA-2
 * SentencePiece) or {@code data.template} is not chat, and for Alpaca records with {@code template: chat} on such a
 * model: the Vicuna
 * v1.1 layout of FastChat, {@code "<system> USER: <q> ASSISTANT: <a></s>USER: <q2> ASSISTANT: <a2></s>"}. Everything up
 * to and including "ASSISTANT:" is prompt (masked); " <answer>" plus EOS is trained. A system turn given first
 * replaces the default system text; a later one is kept as prompt text.
 */
final class VicunaChat {
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

    private VicunaChat() {}

    /**
     * The turns to train on, or null when no assistant turn is present. Only system, user and assistant messages with
     * text fit this layout: a tool call or tool result needs the model's own chat template.
     */
    static InstructionRecord render(List<ChatMessage> messages, String source) {
        List<InstructionRecord.Turn> turns = new ArrayList<>();
        StringBuilder prompt = new StringBuilder(DEFAULT_SYSTEM);
        boolean first = true;
        for (ChatMessage m : messages) {
            if (m.toolCalls() != null || m.content() == null) {
                throw new IllegalArgumentException("a tool call needs the model's chat template (the Vicuna layout has none)");
            }
            switch (m.role()) {
                case "system" -> {
                    if (first) prompt.setLength(0);
                    separate(prompt).append(m.content());
                }
                case "user" -> separate(prompt).append("USER: ").append(m.content());
                case "assistant" -> {
                    separate(prompt).append("ASSISTANT:");
                    turns.add(new InstructionRecord.Turn(prompt.toString(), false));
                    turns.add(new InstructionRecord.Turn(" " + m.content(), true));
                    prompt.setLength(0); // EOS follows the answer; the next prompt starts right after it, without a space
                }
                default -> throw new IllegalArgumentException("role '" + m.role() + "' needs the model's chat template (the Vicuna layout has "
                        + "system, user and assistant only)");
            }
            first = false;
        }
        return turns.isEmpty() ? null : new InstructionRecord(turns, source);
    }

    /** An Alpaca record as a one-round chat: the input follows the instruction on a new line. */
    static InstructionRecord single(String instruction, String input, String output, String source) {
        String q = input == null || input.isEmpty() ? instruction : instruction + "\n" + input;
        return render(List.of(ChatMessage.user(q), ChatMessage.assistant(output)), source);
    }

    private static StringBuilder separate(StringBuilder b) {
        if (b.length() > 0 && b.charAt(b.length() - 1) != ' ') b.append(' ');
        return b;
    }
}
