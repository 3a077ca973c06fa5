package io.lora4j.core.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE (tokenizer.ggml.model = gpt2; LLaMA-3): the text is split by the pre-tokenizer regex, each piece's
 * UTF-8 bytes are mapped to GPT-2's printable byte alphabet, and adjacent pairs are merged lowest merge rank first.
 */
public final class ByteLevelBpeTokenizer extends VocabularyTokenizer {
    /** LLaMA-3's pre-tokenizer ("llama-bpe"). */
    static final Pattern LLAMA3 = Pattern.compile(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
    /** GPT-2's original pre-tokenizer ("default"). */
    static final Pattern GPT2 = Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<String, Integer> ranks = new HashMap<>();
    private final Pattern pre;
    private final char[] byteToChar = new char[256];
    private final Map<Character, Integer> charToByte = new HashMap<>();

    public ByteLevelBpeTokenizer(TokenizerModel model) {
        super(model);
        for (int i = 0; i < model.size(); i++) ids.putIfAbsent(model.tokens()[i], i);
        for (int r = 0; r < model.merges().length; r++) ranks.putIfAbsent(model.merges()[r], r);
        this.pre = model.preTokenizer().startsWith("llama") || model.preTokenizer().equals("falcon3") ? LLAMA3 : GPT2;
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
            byteToChar[b] = (char) (printable ? b : 256 + extra++);
            charToByte.put(byteToChar[b], b);
        }
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        List<Integer> out = new ArrayList<>();
        if (addBos && model.bosId() >= 0) out.add(model.bosId());
        Matcher m = pre.matcher(text);
        while (m.find()) {
            StringBuilder mapped = new StringBuilder();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) mapped.append(byteToChar[b & 0xFF]);
            for (String piece : bpe(mapped.toString())) {
                Integer id = ids.get(piece);
                if (id != null) {
                    out.add(id);
                } else { // not in the vocabulary: fall back to single byte symbols, or unk
                    for (char ch : piece.toCharArray()) {
                        Integer b = ids.get(String.valueOf(ch));
                        out.add(b != null ? b : model.unkId());
                    }
                }
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private List<String> bpe(String word) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < word.length(); i++) parts.add(String.valueOf(word.charAt(i)));
        while (parts.size() > 1) {
            int best = -1, bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < parts.size(); i++) {
                Integer r = ranks.get(parts.get(i) + " " + parts.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) break;
            parts.set(best, parts.get(best) + parts.remove(best + 1));
        }
        return parts;
    }

    @Override
    public String decode(int[] idsIn) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : idsIn) {
            if (model.tokenTypes()[id] == TokenizerModel.CONTROL) continue;
            String t = model.tokens()[id];
            if (model.tokenTypes()[id] == TokenizerModel.USER_DEFINED) {
                bytes.writeBytes(t.getBytes(StandardCharsets.UTF_8));
                continue;
            }
            for (int i = 0; i < t.length(); i++) {
                Integer b = charToByte.get(t.charAt(i));
                if (b != null) bytes.write(b);
                else bytes.writeBytes(String.valueOf(t.charAt(i)).getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }









    @Override
    public String toString() {
        return "byte-level BPE, " + model.size() + " tokens, " + model.merges().length + " merges, pre-tokenizer " + model.preTokenizer();
    }
}
