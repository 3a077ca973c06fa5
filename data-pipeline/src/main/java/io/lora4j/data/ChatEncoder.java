package io.lora4j.data;

import static io.lora4j.core.model.CausalLmLoss.IGNORE;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.lora4j.core.chat.ChatMessage;
import io.lora4j.core.chat.ChatTemplate;
import io.lora4j.core.chat.ChatTemplateException;
import io.lora4j.core.chat.ChatTokens;
import io.lora4j.core.chat.RenderedChat;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.TokenizerModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link Conversation} → ids and labels with the model's chat template: the rendered text tokenized as
 * apply_chat_template(tokenize=True) does, labels on the tokens of each assistant turn's target span (its content and
 * the end-of-turn token the template writes) and {@link io.lora4j.core.model.CausalLmLoss#IGNORE} everywhere else
 * (unless train_on_inputs). cutoff_len cuts the end off as {@link ExampleEncoder} does: a record is dropped when no
 * trained token is left.
 *
 * <p>The rendered text is tokenized with special-token parsing (the template's own markers must become their ids), so
 * special-token text typed in a record ("&lt;|im_end|&gt;" in a user message) would become that token too: such a record
 * is rejected with the token it contains, unless data.parse_special_tokens asks for exactly that.
 */
final class ChatEncoder {
    private final ModelChatFormat format;
    private final ChatTemplate template;
    private final Tokenizer tok;
    private final int cutoff;
    private final boolean trainOnInputs;
    private final ExampleEncoder.Truncation truncation;
    /** Special-token texts by their first character, for the scan of record text. */
    private final Map<Character, List<String>> specials = new HashMap<>();

    ChatEncoder(ModelChatFormat format, Tokenizer tok, int cutoffLen, boolean trainOnInputs, ExampleEncoder.Truncation truncation) {
        this.format = format;
        this.template = format.template();
        this.tok = tok;
        this.cutoff = cutoffLen;
        this.trainOnInputs = trainOnInputs;
        this.truncation = truncation;
        TokenizerModel m = tok.model();
        for (int id = 0; id < m.size(); id++) {
            int type = m.tokenTypes()[id];
            String t = m.tokens()[id];
            // the tokens encode() keeps as text but encodeTemplate() parses (user-defined ones are parsed by both)
            if ((type == TokenizerModel.CONTROL || type == TokenizerModel.UNKNOWN) && !t.isEmpty()) {
                specials.computeIfAbsent(t.charAt(0), c -> new ArrayList<>()).add(t);
            }
        }
    }

    ExampleEncoder.Result encode(Conversation c) {
        if (!format.parseSpecialTokens()) {
            String found = specialTokenIn(c);
            if (found != null) return rejected("special token in text: " + found + " (set data.parse_special_tokens: true to let it become the token)");
        }
        RenderedChat chat;
        ChatTokens tokens;
        try {
            chat = template.render(c.messages(), c.tools(), false, format.vars());
            tokens = ChatTokens.of(tok, chat);
        } catch (ChatTemplateException e) {
            return rejected("chat template rejected the conversation: " + e.getMessage());
        } catch (IllegalStateException e) {
            return rejected("chat template text does not tokenize back: " + e.getMessage());
        }
        int[] ids = tokens.ids();
        int n = ids.length, firstTrained = -1;
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            boolean bos = i == 0 && ids[0] == tok.bosId();
            labels[i] = tokens.lossMask()[i] || (trainOnInputs && !bos) ? ids[i] : IGNORE;
            if (tokens.lossMask()[i] && firstTrained < 0) firstTrained = i;
        }
        if (firstTrained < 0) return rejected("no response to train on");
        if (n > cutoff) {
            if (truncation == ExampleEncoder.Truncation.DROP) return rejected("longer than cutoff_len");
            if (firstTrained >= cutoff) return rejected("prompt alone exceeds cutoff_len");
            return new ExampleEncoder.Result(Arrays.copyOf(ids, cutoff), Arrays.copyOf(labels, cutoff), true, null);
        }
        return new ExampleEncoder.Result(ids, labels, false, null);
    }

    private static ExampleEncoder.Result rejected(String why) {
        return new ExampleEncoder.Result(null, null, false, why);
    }

    /** The first special-token text in what the template copies from the record ("'<|eot_id|>' in message 2 (user)"), else null. */
    String specialTokenIn(Conversation c) {
        for (int i = 0; i < c.messages().size(); i++) {
            ChatMessage m = c.messages().get(i);
            String where = " in message " + i + " (" + m.role() + ")";
            String found = find(m.content());
            if (found == null) found = find(m.name());
            if (found == null && m.toolCalls() != null) found = find(json(m.toolCalls()));
            if (found != null) return "'" + found + "'" + where;
        }
        String found = c.tools() == null ? null : find(json(c.tools()));
        return found == null ? null : "'" + found + "' in the tools";
    }

    private String find(String text) {
        if (text == null || specials.isEmpty()) return null;
        for (int i = 0; i < text.length(); i++) {
            List<String> candidates = specials.get(text.charAt(i));
            if (candidates == null) continue;
            for (String s : candidates) if (text.startsWith(s, i)) return s;
        }
        return null;
    }

    private static String json(Object o) {
        try {
            return RecordParser.JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
