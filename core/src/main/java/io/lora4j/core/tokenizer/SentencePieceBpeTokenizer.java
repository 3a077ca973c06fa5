package io.lora4j.core.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece-BPE as llama.cpp runs it for LLaMA-1/2 vocabularies (llm_tokenizer_spm): spaces become "▁", a
 * space is prefixed when {@code addSpacePrefix}, the text starts as one symbol per Unicode character, and the
 * adjacent pair whose concatenation is the highest-scoring vocabulary piece is merged first (ties: leftmost) until no
 * pair is a piece. Symbols that are not pieces fall back to their UTF-8 bytes as {@code <0xNN>} tokens.
 * User-defined pieces are matched in the raw text first, as llama.cpp does.
 */
public final class SentencePieceBpeTokenizer implements Tokenizer {
    private final TokenizerModel model;
    private final Map<String, Integer> pieceToId;
    private final int[] byteTokens = new int[256];
    private final List<String> userDefined = new ArrayList<>();
    private final String fingerprint;

    public SentencePieceBpeTokenizer(TokenizerModel model) {
        if (model.kind() != TokenizerModel.Kind.SPM) throw new IllegalArgumentException("not a SentencePiece vocabulary: " + model.kind());
        this.model = model;
        this.pieceToId = new HashMap<>(model.size() * 2);
        for (int i = 0; i < model.size(); i++) {
            pieceToId.putIfAbsent(model.tokens()[i], i);
            if (model.tokenTypes()[i] == TokenizerModel.USER_DEFINED) userDefined.add(model.tokens()[i]);
        }
        userDefined.sort((a, b) -> b.length() - a.length()); // longest first
        for (int b = 0; b < 256; b++) {
            Integer id = pieceToId.get(String.format("<0x%02X>", b));
            byteTokens[b] = id != null ? id : model.unkId();
        }
        this.fingerprint = Fingerprint.of(model);
    }

    public TokenizerModel model() {
        return model;
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addBos && model.bosId() >= 0) out.add(model.bosId());
        if (text.isEmpty()) return out.toArray();
        boolean prevSpecial = true;
        int pos = 0;
        while (pos < text.length()) {
            int next = text.length(), which = -1;
            for (int u = 0; u < userDefined.size(); u++) {
                int at = text.indexOf(userDefined.get(u), pos);
                if (at >= 0 && at < next) {
                    next = at;
                    which = u;
                }
            }
            if (next > pos) {
                encodeFragment(text.substring(pos, next), prevSpecial && model.addSpacePrefix(), out);
                prevSpecial = false;
            }
            if (which < 0) break;
            out.add(pieceToId.get(userDefined.get(which)));
            prevSpecial = true;
            pos = next + userDefined.get(which).length();
        }
        return out.toArray();
    }

    /** One bigram candidate: merging symbols left and right gives piece id with this score. */
    private record Bigram(int left, int right, float score, int size) {}

    private void encodeFragment(String raw, boolean prefixSpace, IntList out) {
        String text = ((prefixSpace ? " " : "") + raw).replace(' ', '\u2581');
        int n = text.length();
        // symbols as a linked list over the text: start, length (in chars), prev, next
        int[] start = new int[n], len = new int[n], prev = new int[n], next = new int[n];
        int count = 0;
        for (int i = 0; i < n; ) {
            int cpLen = Character.charCount(text.codePointAt(i));
            start[count] = i;
            len[count] = cpLen;
            prev[count] = count - 1;
            next[count] = i + cpLen < n ? count + 1 : -1;
            count++;
            i += cpLen;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 1; i < count; i++) tryAddBigram(text, start, len, i - 1, i, queue);
        while (!queue.isEmpty()) {
            Bigram bg = queue.poll();
            int l = bg.left, r = bg.right;
            if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != bg.size) continue; // stale
            len[l] += len[r];
            len[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) tryAddBigram(text, start, len, prev[l], l, queue);
            if (next[l] >= 0) tryAddBigram(text, start, len, l, next[l], queue);
        }
        for (int s = 0; s >= 0 && count > 0; s = next[s]) {
            String piece = text.substring(start[s], start[s] + len[s]);
            Integer id = pieceToId.get(piece);
            if (id != null) {
                out.add(id);
            } else {
                for (byte b : piece.getBytes(StandardCharsets.UTF_8)) out.add(byteTokens[b & 0xFF]);
            }
        }
    }

    private void tryAddBigram(String text, int[] start, int[] len, int left, int right, PriorityQueue<Bigram> q) {
        int size = len[left] + len[right];
        Integer id = pieceToId.get(text.substring(start[left], start[left] + size));
        if (id == null) return;
        q.add(new Bigram(left, right, model.scores()[id], size));
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean first = true;
        for (int id : ids) {
            if (id < 0 || id >= model.size()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + model.size());
            int type = model.tokenTypes()[id];
            byte[] piece;
            switch (type) {
                case TokenizerModel.CONTROL -> {
                    continue;
                }
                case TokenizerModel.BYTE -> piece = new byte[] {(byte) Integer.parseInt(model.tokens()[id].substring(3, 5), 16)};
                case TokenizerModel.UNKNOWN -> piece = "\u2585".getBytes(StandardCharsets.UTF_8);
                case TokenizerModel.USER_DEFINED -> piece = model.tokens()[id].getBytes(StandardCharsets.UTF_8);
                default -> piece = model.tokens()[id].replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
            }
            int from = first && model.addSpacePrefix() && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            bytes.write(piece, from, piece.length - from);
            first = false;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public String piece(int id) {
        return model.tokens()[id];
    }

    @Override
    public int vocabSize() {
        return model.size();
    }

    @Override
    public int bosId() {
        return model.bosId();
    }

    @Override
    public int eosId() {
        return model.eosId();
    }

    @Override
    public int padId() {
        return model.padId();
    }

    @Override
    public int unkId() {
        return model.unkId();
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    @Override
    public String toString() {
        return "SentencePiece-BPE, " + model.size() + " pieces, bos=" + bosId() + " eos=" + eosId() + " unk=" + unkId() + " pad=" + padId();
    }

    /** A growable int array (no boxing on the hot path). */
    static final class IntList {
        int[] a;
        int n;

        IntList(int cap) {
            a = new int[Math.max(cap, 4)];
        }

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
