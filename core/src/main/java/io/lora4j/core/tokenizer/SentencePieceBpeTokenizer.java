package io.lora4j.core.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * SentencePiece-BPE as llama.cpp runs it for LLaMA-1/2 vocabularies (llm_tokenizer_spm): spaces become "▁", a "▁" is
 * put first when {@code addSpacePrefix} and the text starts the input or follows a special token, the text starts as
 * one symbol per Unicode character, and the adjacent pair whose concatenation is the highest-scoring piece is merged
 * first (ties: leftmost) until no pair is a piece. Symbols that are not pieces fall back to their UTF-8 bytes as
 * {@code <0xNN>} tokens. User-defined pieces (and with parse_special all special pieces) are cut out of the text first.
 *
 * <p>Speed: merge candidates are int-pair probes ({@link SpmMergeTable}), the queue is a heap of packed longs, and when
 * no piece has a "▁" after another character (true for LLaMA) no merge can cross the start of a "▁"-prefixed word,
 * so each word is merged on its own with a tiny heap; the result is the same as merging the whole text at once.
 */
public final class SentencePieceBpeTokenizer extends VocabularyTokenizer {
    private static final char SPACE = '\u2581';
    private final SpmMergeTable merges;
    private final int[] sortableScores;
    private final int[] byteTokens = new int[256];
    private final boolean wordsAreIndependent;

    public SentencePieceBpeTokenizer(TokenizerModel model) {
        super(model, false);
        if (model.kind() != TokenizerModel.Kind.SPM) throw new IllegalArgumentException("not a SentencePiece vocabulary: " + model.kind());
        this.merges = new SpmMergeTable(model.tokens());
        this.sortableScores = new int[model.size()];
        for (int i = 0; i < model.size(); i++) sortableScores[i] = MergeHeap.sortable(model.scores()[i]);
        java.util.Map<String, Integer> ids = new java.util.HashMap<>();
        for (int i = model.size() - 1; i >= 0; i--) ids.put(model.tokens()[i], i);
        for (int b = 0; b < 256; b++) {
            // llama.cpp's byte_to_token: "<0xNN>", else the byte as a one-character piece (it aborts when neither exists)
            Integer id = ids.get(String.format("<0x%02X>", b));
            if (id == null && b < 0x80) id = ids.get(String.valueOf((char) b));
            byteTokens[b] = id != null ? id : model.unkId();
        }
        this.wordsAreIndependent = noPieceHasSpaceAfterOtherChar(model.tokens());
    }

    private static boolean noPieceHasSpaceAfterOtherChar(String[] pieces) {
        for (String p : pieces) {
            for (int i = 1; i < p.length(); i++) if (p.charAt(i) == SPACE && p.charAt(i - 1) != SPACE) return false;
        }
        return true;
    }

    @Override
    protected void encodeText(String text, int start, int end, boolean afterSpecial, IntList out) {
        boolean prefix = afterSpecial && model.addSpacePrefix();
        int n = end - start + (prefix ? 1 : 0);
        char[] buf = new char[n];
        int k = 0;
        if (prefix) buf[k++] = SPACE;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            buf[k++] = c == ' ' ? SPACE : c;
        }
        Work w = new Work(n);
        if (!wordsAreIndependent) {
            mergeRange(buf, 0, n, w, out);
            return;
        }
        int from = 0;
        for (int i = 1; i < n; i++) {
            if (buf[i] == SPACE && buf[i - 1] != SPACE) {
                mergeRange(buf, from, i, w, out);
                from = i;
            }
        }
        if (n > 0) mergeRange(buf, from, n, w, out);
    }

    /** Scratch arrays for one encode call: symbols as a linked list over the text. */
    private static final class Work {
        final int[] start, len, id, prev, next;
        final MergeHeap heap;

        Work(int n) {
            start = new int[n];
            len = new int[n];
            id = new int[n];
            prev = new int[n];
            next = new int[n];
            heap = new MergeHeap(Math.max(16, n));
        }
    }

    private void mergeRange(char[] text, int from, int to, Work w, IntList out) {
        int count = 0;
        for (int i = from; i < to; ) {
            int cp = Character.codePointAt(text, i, to);
            int cl = Character.charCount(cp);
            w.start[count] = i;
            w.len[count] = cl;
            w.id[count] = merges.codePointId(cp);
            w.prev[count] = count - 1;
            i += cl;
            w.next[count] = i < to ? count + 1 : -1;
            count++;
        }
        MergeHeap heap = w.heap;
        heap.clear();
        for (int i = 1; i < count; i++) push(w, i - 1, i);
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int l = MergeHeap.left(top);
            int r = w.next[l];
            // stale unless the pair now at l still forms a piece with exactly this score (see MergeHeap)
            if (w.len[l] == 0 || r < 0) continue;
            int m = merges.merge(w.id[l], w.id[r]);
            if (m < 0 || sortableScores[m] != MergeHeap.score(top)) continue;
            w.len[l] += w.len[r];
            w.len[r] = 0;
            w.id[l] = m;
            w.next[l] = w.next[r];
            if (w.next[r] >= 0) w.prev[w.next[r]] = l;
            if (w.prev[l] >= 0) push(w, w.prev[l], l);
            if (w.next[l] >= 0) push(w, l, w.next[l]);
        }
        for (int s = 0; s >= 0 && count > 0; s = w.next[s]) {
            if (merges.isPiece(w.id[s])) {
                out.add(w.id[s]);
            } else {
                for (byte b : new String(text, w.start[s], w.len[s]).getBytes(StandardCharsets.UTF_8)) out.add(byteToken(b & 0xFF));
            }
        }
    }

    private void push(Work w, int left, int right) {
        int m = merges.merge(w.id[left], w.id[right]);
        if (m >= 0) w.heap.push(sortableScores[m], left);
    }

    private int byteToken(int b) {
        int id = byteTokens[b];
        if (id < 0) throw new IllegalStateException(String.format("the vocabulary has neither <0x%02X> nor an unknown token for byte fallback", b));
        return id;
    }

    @Override
    protected byte[] normalPieceBytes(String token) {
        return token.replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "SentencePiece-BPE, " + model.size() + " pieces, bos=" + bosId() + " eos=" + eosId() + " unk=" + unkId() + " pad=" + padId();
    }
}
