package io.lora4j.core.chat;

import io.lora4j.core.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;

/**
 * A rendered conversation as token ids with its loss mask: a token is trained on when the bytes it covers lie inside
 * an assistant turn's target span (the content and the end-of-turn token; not the header or the glue after it), as
 * transformers' offset mapping would decide.
 *
 * @param ids      {@link Tokenizer#encodeTemplate} of the text
 * @param lossMask one flag per id
 */
public record ChatTokens(int[] ids, boolean[] lossMask) {

    public static ChatTokens of(Tokenizer tok, RenderedChat chat) {
        String text = chat.text();
        int[] ids = tok.encodeTemplate(text);
        // byte offset of every char boundary, to turn the spans into byte ranges
        int[] byteAt = new int[text.length() + 1];
        for (int i = 0, b = 0; i < text.length(); i++) {
            byteAt[i] = b;
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length()) {
                byteAt[++i] = b; // the pair's low half starts at the same byte
                b += 4;
            } else {
                b += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
            byteAt[i + 1] = b;
        }
        int total = text.getBytes(StandardCharsets.UTF_8).length;
        long covered = 0;
        int[] lengths = new int[ids.length];
        for (int i = 0; i < ids.length; i++) covered += lengths[i] = tok.tokenBytes(ids[i]).length;
        // a SentencePiece "▁" put before text at the very start covers no byte of the text
        long extra = covered - total;
        if (extra < 0 || extra > 1) {
            throw new IllegalStateException("the tokens cover " + covered + " bytes but the text has " + total + ": the tokenizer changed the text");
        }
        boolean[] mask = new boolean[ids.length];
        long pos = -extra;
        for (int i = 0; i < ids.length; i++) {
            long start = Math.max(0, pos), end = pos + lengths[i];
            pos = end;
            for (RenderedChat.AssistantSpan s : chat.assistantSpans()) {
                if (start >= byteAt[s.targetStart()] && end <= byteAt[s.targetEnd()] && end > start) {
                    mask[i] = true;
                    break;
                }
            }
        }
        return new ChatTokens(ids, mask);
    }

    /** How many tokens are trained on. */
    public int trainedTokens() {
        int n = 0;
        for (boolean b : lossMask) if (b) n++;
        return n;
    }
}
