package io.lora4j.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Cuts special tokens out of raw text before the text is tokenized, as llama.cpp's {@code tokenizer_st_partition}:
 * the special pieces are taken longest first (UTF-8 length; equal lengths by id), and each one splits every text
 * fragment left so far at all its occurrences. Without parse_special only user-defined pieces take part; with it also
 * control and unknown pieces.
 */
final class SpecialTokenSplitter {
    /** A fragment is either text[start, end) (token = -1) or one token id. */
    record Fragment(int start, int end, int token) {
        boolean isText() {
            return token < 0;
        }
    }

    private final String[] pieces;
    private final int[] ids;
    /** The first chars of the pieces, so a text that has none of them is passed over in one scan. */
    private final java.util.BitSet firstChars = new java.util.BitSet();

    SpecialTokenSplitter(TokenizerModel m, boolean parseSpecial) {
        List<Integer> chosen = new ArrayList<>();
        for (int id = 0; id < m.size(); id++) {
            int t = m.tokenTypes()[id];
            boolean special = t == TokenizerModel.USER_DEFINED
                    || (parseSpecial && (t == TokenizerModel.CONTROL || t == TokenizerModel.UNKNOWN));
            if (special && !m.tokens()[id].isEmpty()) chosen.add(id);
        }
        chosen.sort(Comparator.<Integer>comparingInt(id -> -m.tokens()[id].getBytes(StandardCharsets.UTF_8).length)
                .thenComparingInt(id -> id));
        ids = chosen.stream().mapToInt(Integer::intValue).toArray();
        pieces = new String[ids.length];
        for (int i = 0; i < ids.length; i++) pieces[i] = m.tokens()[ids[i]];
        for (String p : pieces) firstChars.set(p.charAt(0));
    }

    boolean isEmpty() {
        return ids.length == 0;
    }

    private boolean mayContainPiece(String text) {
        for (int i = 0; i < text.length(); i++) if (firstChars.get(text.charAt(i))) return true;
        return false;
    }

    List<Fragment> split(String text) {
        List<Fragment> fragments = new ArrayList<>();
        fragments.add(new Fragment(0, text.length(), -1));
        if (!mayContainPiece(text)) return fragments;
        for (int s = 0; s < ids.length; s++) {
            String p = pieces[s];
            List<Fragment> next = new ArrayList<>(fragments.size() + 4);
            for (Fragment f : fragments) {
                if (!f.isText()) {
                    next.add(f);
                    continue;
                }
                int from = f.start();
                while (true) {
                    int at = text.indexOf(p, from);
                    if (at < 0 || at + p.length() > f.end()) break;
                    if (at > from) next.add(new Fragment(from, at, -1));
                    next.add(new Fragment(at, at + p.length(), ids[s]));
                    from = at + p.length();
                }
                if (from < f.end()) next.add(new Fragment(from, f.end(), -1));
            }
            fragments = next;
        }
        return fragments;
    }
}
