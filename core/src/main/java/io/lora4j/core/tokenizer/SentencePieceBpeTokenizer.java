package io.lora4j.core.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece-BPE as llama.cpp runs it for LLaMA-1/2 vocabularies (llm_tokenizer_spm): spaces become "▁", a
 * space is prefixed when {@code addSpacePrefix}, the text starts as one symbol per Unicode character, and the
 * adjacent pair whose concatenation is the highest-scoring vocabulary piece is merged first (ties: leftmost) until no
 * pair is a piece. Symbols that are not pieces fall back to their UTF-8 bytes as {@code <0xNN>} tokens.
 * User-defined pieces are matched in the raw text first, as llama.cpp does.
 */
public final class SentencePieceBpeTokenizer extends VocabularyTokenizer {
    private final Map<String, Integer> pieceToId;
    private final PieceTable pieces;
    private final int[] byteTokens = new int[256];
    private final List<String> userDefined = new ArrayList<>();

    public SentencePieceBpeTokenizer(TokenizerModel model) {
        super(model);
        if (model.kind() != TokenizerModel.Kind.SPM) throw new IllegalArgumentException("not a SentencePiece vocabulary: " + model.kind());
        this.pieceToId = new HashMap<>(model.size() * 2);
        for (int i = 0; i < model.size(); i++) {
            pieceToId.putIfAbsent(model.tokens()[i], i);
            if (model.tokenTypes()[i] == TokenizerModel.USER_DEFINED) userDefined.add(model.tokens()[i]);
        }
        userDefined.sort((a, b) -> b.length() - a.length()); // longest first
        this.pieces = new PieceTable(model.tokens());
        for (int b = 0; b < 256; b++) {
            Integer id = pieceToId.get(String.format("<0x%02X>", b));
            byteTokens[b] = id != null ? id : model.unkId();
        }
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

    private void encodeFragment(String raw, boolean prefixSpace, IntList out) {
        char[] text = ((prefixSpace ? " " : "") + raw).replace(' ', '\u2581').toCharArray();
        int n = text.length;
        // symbols as a linked list over the text: start, length (in chars), prev, next
        int[] start = new int[n], len = new int[n], prev = new int[n], next = new int[n];
        int count = 0;
        for (int i = 0; i < n; ) {
            int cpLen = Character.isHighSurrogate(text[i]) && i + 1 < n && Character.isLowSurrogate(text[i + 1]) ? 2 : 1;
            start[count] = i;
            len[count] = cpLen;
            prev[count] = count - 1;
            next[count] = i + cpLen < n ? count + 1 : -1;
            count++;
            i += cpLen;
        }
        BigramHeap heap = new BigramHeap(count * 2 + 8);
        for (int i = 1; i < count; i++) tryAddBigram(text, start, len, i - 1, i, heap);
        while (!heap.isEmpty()) {
            int top = heap.pop();
            int l = heap.left[top], r = heap.right[top];
            if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != heap.size[top]) continue; // stale
            len[l] += len[r];
            len[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) tryAddBigram(text, start, len, prev[l], l, heap);
            if (next[l] >= 0) tryAddBigram(text, start, len, l, next[l], heap);
        }
        for (int s = 0; s >= 0 && count > 0; s = next[s]) {
            int id = pieces.get(text, start[s], len[s]);
            if (id >= 0) {
                out.add(id);
            } else {
                for (byte b : new String(text, start[s], len[s]).getBytes(StandardCharsets.UTF_8)) out.add(byteTokens[b & 0xFF]);
            }
        }
    }

    private void tryAddBigram(char[] text, int[] start, int[] len, int left, int right, BigramHeap heap) {
        int size = len[left] + len[right];
        int id = pieces.get(text, start[left], size);
        if (id >= 0) heap.push(left, right, model.scores()[id], size);
    }

    /**
     * Max-heap of merge candidates: highest piece score first, ties to the leftmost pair (llama.cpp's comparator).
     * Entries live in parallel arrays; the heap orders their indices.
     */
    static final class BigramHeap {
        int[] left, right, size, heap;
        float[] score;
        int entries, n;

        BigramHeap(int cap) {
            left = new int[cap];
            right = new int[cap];
            size = new int[cap];
            score = new float[cap];
            heap = new int[cap];
        }

        boolean isEmpty() {
            return n == 0;
        }

        private boolean before(int a, int b) {
            return score[a] != score[b] ? score[a] > score[b] : left[a] < left[b];
        }

        void push(int l, int r, float s, int sz) {
            if (entries == left.length) grow();
            int e = entries++;
            left[e] = l;
            right[e] = r;
            score[e] = s;
            size[e] = sz;
            int i = n++;
            heap[i] = e;
            while (i > 0) {
                int parent = (i - 1) / 2;
                if (!before(heap[i], heap[parent])) break;
                int t = heap[i];
                heap[i] = heap[parent];
                heap[parent] = t;
                i = parent;
            }
        }

        int pop() {
            int top = heap[0];
            heap[0] = heap[--n];
            int i = 0;
            while (true) {
                int l = 2 * i + 1, r = l + 1, best = i;
                if (l < n && before(heap[l], heap[best])) best = l;
                if (r < n && before(heap[r], heap[best])) best = r;
                if (best == i) break;
                int t = heap[i];
                heap[i] = heap[best];
                heap[best] = t;
                i = best;
            }
            return top;
        }

        private void grow() {
            int cap = left.length * 2;
            left = Arrays.copyOf(left, cap);
            right = Arrays.copyOf(right, cap);
            size = Arrays.copyOf(size, cap);
            score = Arrays.copyOf(score, cap);
            heap = Arrays.copyOf(heap, cap);
        }
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
