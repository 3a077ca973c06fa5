package io.lora4j.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;

/**
 * Record identity for deduplication and the train/validation split: a SHA-256 of the normalized turn texts (NFC,
 * whitespace collapsed, trimmed). The split depends only on this hash and the seed, so adding data never moves an
 * old record between train and validation.
 */
public final class SplitAndDedup {
    private SplitAndDedup() {}

    /**
     * NFC, runs of regex {@code \\s} ([ \t\n\x0B\f\r]) collapsed to one space, then {@link String#trim()}: the same
     * string as {@code Normalizer.normalize(s, NFC).replaceAll("\\s+", " ").trim()}, without a regex and without
     * copying text that is already NFC (ASCII always is).
     */
    public static String normalize(String s) {
        boolean ascii = true;
        for (int i = 0; i < s.length() && ascii; i++) ascii = s.charAt(i) < 0x80;
        if (!ascii && !Normalizer.isNormalized(s, Normalizer.Form.NFC)) s = Normalizer.normalize(s, Normalizer.Form.NFC);
        int n = s.length(), i = 0;
        while (i < n && !(isSpace(s.charAt(i)) && (s.charAt(i) != ' ' || (i + 1 < n && isSpace(s.charAt(i + 1)))))) i++;
        if (i == n) return s.trim(); // nothing to collapse
        StringBuilder b = new StringBuilder(n).append(s, 0, i);
        boolean inSpace = false;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (isSpace(c)) {
                if (!inSpace) b.append(' ');
                inSpace = true;
            } else {
                b.append(c);
                inSpace = false;
            }
        }
        return b.toString().trim();
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    public static long hash(InstructionRecord r) {
        MessageDigest d = SHA256.get();
        d.reset();
        for (InstructionRecord.Turn t : r.turns()) {
            d.update(normalize(t.text()).getBytes(StandardCharsets.UTF_8));
            d.update((byte) (t.trained() ? 1 : 0));
        }
        return first8(d.digest());
    }

    /** A conversation's identity: each message's role, normalized content, tool calls and name, then the tools offered. */
    static long hash(Conversation c) {
        MessageDigest d = SHA256.get();
        d.reset();
        for (io.lora4j.core.chat.ChatMessage m : c.messages()) {
            for (Object part : new Object[] {m.role(), m.content() == null ? null : normalize(m.content()), m.toolCalls(), m.toolCallId(), m.name()}) {
                d.update(String.valueOf(part).getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
            }
        }
        d.update(String.valueOf(c.tools()).getBytes(StandardCharsets.UTF_8));
        return first8(d.digest());
    }

    private static long first8(byte[] h) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (h[i] & 0xFF);
        return v;
    }

    /** A uniform number in [0, 1) from the record hash and the seed. */
    public static double unit(long hash, long seed) {
        long z = hash ^ (seed * 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53;
    }

    /**
     * Whether a record goes to validation: val_size < 1 is a fraction; val_size ≥ 1 a count, turned into the fraction
     * {@code count / total} of the current dataset (so the expected number of validation records is the count).
     */
    public static boolean isValidation(long hash, long seed, double valSize, long total) {
        if (valSize <= 0) return false;
        double fraction = valSize < 1 ? valSize : Math.min(1.0, valSize / Math.max(1, total));
        return unit(hash, seed) < fraction;
    }
}
