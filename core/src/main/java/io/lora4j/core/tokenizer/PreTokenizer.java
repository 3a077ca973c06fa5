package io.lora4j.core.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the words byte-level BPE merges within, as llama.cpp's {@code unicode_regex_split} does for the
 * supported pre-tokenizers. LLaMA-3 and GPT-2 use hand-written scanners that follow llama.cpp's own replacements for
 * those regexes ({@code unicode_regex_split_custom_llama3/_gpt2}); the regexes themselves are kept as
 * {@link #LLAMA3_REGEX} and {@link #GPT2_REGEX}, the reference the scanners are tested against. Letters are \p{L},
 * numbers \p{N}, and whitespace is Unicode's White_Space property, as in llama.cpp's tables.
 */
enum PreTokenizer {
    /** "llama3", "llama-bpe", …: {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+} */
    LLAMA3,
    /** "qwen2": LLaMA-3's pattern with single digits: {@code …|\p{N}| ?[^\s\p{L}\p{N}]+…}. */
    QWEN2,
    /** "gpt-2": {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+} */
    GPT2,
    /** "default": llama.cpp's fallback, four patterns applied one after the other. */
    DEFAULT;

    static final Pattern LLAMA3_REGEX = Pattern.compile(
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    static final Pattern QWEN2_REGEX = Pattern.compile(LLAMA3_REGEX.pattern().replace("\\p{N}{1,3}", "\\p{N}"), Pattern.UNICODE_CHARACTER_CLASS);
    static final Pattern GPT2_REGEX = Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern[] DEFAULT_STEPS = {
        Pattern.compile("[\\p{P}\\$\\+<=>\\^~\\|]+", Pattern.UNICODE_CHARACTER_CLASS),
        null, // the GPT-2 pattern, scanned
        Pattern.compile("\\p{N}+", Pattern.UNICODE_CHARACTER_CLASS),
        Pattern.compile("[0-9][0-9][0-9]"),
    };

    /** The pre-tokenizer for a GGUF tokenizer.ggml.pre value, or null when lora4j does not support it. */
    static PreTokenizer forName(String name) {
        return switch (name) {
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe" -> LLAMA3;
            case "qwen2", "deepseek-r1-qwen" -> QWEN2;
            case "gpt-2", "phi-2", "mpt", "olmo", "jais" -> GPT2;
            case "default", "" -> DEFAULT;
            default -> null;
        };
    }

    /** Appends the end offset of every word of cp[from, to) to {@code ends}. */
    void split(int[] cp, int from, int to, IntList ends) {
        switch (this) {
            case LLAMA3 -> llama3(cp, from, to, ends, 3);
            case QWEN2 -> llama3(cp, from, to, ends, 1);
            case GPT2 -> gpt2(cp, from, to, ends);
            case DEFAULT -> {
                IntList current = new IntList(4);
                current.add(to);
                for (Pattern step : DEFAULT_STEPS) {
                    IntList refined = new IntList(current.size() * 2);
                    int start = from;
                    for (int i = 0; i < current.size(); i++) {
                        int end = current.get(i);
                        if (step == null) gpt2(cp, start, end, refined);
                        else regexSplit(step, cp, start, end, refined);
                        start = end;
                    }
                    current = refined;
                }
                for (int i = 0; i < current.size(); i++) ends.add(current.get(i));
            }
        }
    }

    static boolean isLetter(int cp) {
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER, Character.MODIFIER_LETTER,
                    Character.OTHER_LETTER -> true;
            default -> false;
        };
    }

    static boolean isNumber(int cp) {
        return switch (Character.getType(cp)) {
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> true;
            default -> false;
        };
    }

    /** Unicode White_Space (what llama.cpp's unicode_set_whitespace lists; not Java's isWhitespace). */
    static boolean isWhitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    private static boolean isOther(int cp) { // [^\s\p{L}\p{N}]
        return !isWhitespace(cp) && !isLetter(cp) && !isNumber(cp);
    }

    private static boolean isCrLf(int cp) {
        return cp == '\r' || cp == '\n';
    }

    /** The LLaMA-3 scanner; {@code maxDigits} is 3 for \p{N}{1,3} (LLaMA-3) and 1 for \p{N} (Qwen2). */
    private static void llama3(int[] cp, int from, int to, IntList ends, int maxDigits) {
        int pos = from;
        while (pos < to) {
            int c = cp[pos];
            if (c == '\'' && pos + 1 < to) { // (?i:'s|'t|'re|'ve|'m|'ll|'d)
                int n1 = Character.toLowerCase(cp[pos + 1]);
                if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd') {
                    ends.add(pos += 2);
                    continue;
                }
                if (pos + 2 < to) {
                    int n2 = Character.toLowerCase(cp[pos + 2]);
                    if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l')) {
                        ends.add(pos += 3);
                        continue;
                    }
                }
            }
            if (!isCrLf(c) && !isNumber(c) && (isLetter(c) || (pos + 1 < to && isLetter(cp[pos + 1])))) { // [^\r\n\p{L}\p{N}]?\p{L}+
                pos++;
                while (pos < to && isLetter(cp[pos])) pos++;
                ends.add(pos);
                continue;
            }
            if (isNumber(c)) { // \p{N}{1,3}
                int ini = pos;
                while (pos < to && isNumber(cp[pos])) {
                    if (++pos - ini >= maxDigits) {
                        ends.add(pos);
                        ini = pos;
                    }
                }
                if (pos > ini) ends.add(pos);
                continue;
            }
            int p2 = c == ' ' ? pos + 1 : pos; // ' ?[^\s\p{L}\p{N}]+[\r\n]*' (llama.cpp also takes a lone final space here)
            if (p2 >= to || isOther(cp[p2])) {
                if (c == ' ') pos++;
                while (pos < to && isOther(cp[pos])) pos++;
                while (pos < to && isCrLf(cp[pos])) pos++;
                ends.add(pos);
                continue;
            }
            int ws = 0, lastCrLfEnd = -1;
            while (pos + ws < to && isWhitespace(cp[pos + ws])) {
                if (isCrLf(cp[pos + ws])) lastCrLfEnd = pos + ws + 1;
                ws++;
            }
            if (lastCrLfEnd >= 0) { // \s*[\r\n]+
                ends.add(pos = lastCrLfEnd);
            } else if (ws > 1 && pos + ws < to) { // \s+(?!\S)
                ends.add(pos += ws - 1);
            } else if (ws > 0) { // \s+
                ends.add(pos += ws);
            } else {
                ends.add(++pos);
            }
        }
    }

    private static void gpt2(int[] cp, int from, int to, IntList ends) {
        int pos = from;
        while (pos < to) {
            int c = cp[pos];
            if (c == '\'' && pos + 1 < to) { // 's|'t|'re|'ve|'m|'ll|'d
                int n1 = cp[pos + 1];
                if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd') {
                    ends.add(pos += 2);
                    continue;
                }
                if (pos + 2 < to) {
                    int n2 = cp[pos + 2];
                    if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l')) {
                        ends.add(pos += 3);
                        continue;
                    }
                }
            }
            int p2 = c == ' ' ? pos + 1 : pos;
            if (p2 < to && isLetter(cp[p2])) { // ' ?\p{L}+'
                pos = p2 + 1;
                while (pos < to && isLetter(cp[pos])) pos++;
                ends.add(pos);
                continue;
            }
            if (p2 < to && isNumber(cp[p2])) { // ' ?\p{N}+'
                pos = p2 + 1;
                while (pos < to && isNumber(cp[pos])) pos++;
                ends.add(pos);
                continue;
            }
            if (p2 < to && isOther(cp[p2])) { // ' ?[^\s\p{L}\p{N}]+'
                pos = p2 + 1;
                while (pos < to && isOther(cp[pos])) pos++;
                ends.add(pos);
                continue;
            }
            int ws = 0;
            while (pos + ws < to && isWhitespace(cp[pos + ws])) ws++;
            if (ws > 1 && pos + ws < to) { // \s+(?!\S)
                ends.add(pos += ws - 1);
            } else if (ws > 0) { // \s+
                ends.add(pos += ws);
            } else {
                ends.add(++pos);
            }
        }
    }

    /** llama.cpp's std::regex split: every match and every stretch between matches is a word. */
    private static void regexSplit(Pattern p, int[] cp, int from, int to, IntList ends) {
        String s = new String(cp, from, to - from);
        Matcher m = p.matcher(s);
        int last = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue;
            if (m.start() > last) ends.add(from + s.codePointCount(0, m.start()));
            ends.add(from + s.codePointCount(0, m.end()));
            last = m.end();
        }
        if (last < s.length()) ends.add(to);
    }

    /** The reference: the words a regex finds in the text (for the LLaMA-3 and GPT-2 patterns, every character is in one). */
    static List<String> splitWithRegex(Pattern p, String text) {
        List<String> words = new ArrayList<>();
        Matcher m = p.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) words.add(text.substring(last, m.start()));
            words.add(m.group());
            last = m.end();
        }
        if (last < text.length()) words.add(text.substring(last));
        return words;
    }

    /** The words this pre-tokenizer finds in the text. */
    List<String> words(String text) {
        int[] cp = text.codePoints().toArray();
        IntList ends = new IntList(cp.length / 4 + 4);
        split(cp, 0, cp.length, ends);
        List<String> words = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < ends.size(); i++) {
            words.add(new String(cp, start, ends.get(i) - start));
            start = ends.get(i);
        }
        return words;
    }
}
