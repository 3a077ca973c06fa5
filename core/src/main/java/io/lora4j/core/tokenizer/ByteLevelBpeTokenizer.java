package io.lora4j.core.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Byte-level BPE (tokenizer.ggml.model = gpt2; LLaMA-3) as llama.cpp's llm_tokenizer_bpe: the text is split into
 * words by the pre-tokenizer, each word's UTF-8 bytes are written in GPT-2's printable byte alphabet, and adjacent
 * symbols are merged lowest merge rank first (ties: leftmost). With LLaMA-3's pre-tokenizer a word that is itself a
 * token is taken whole (ignore_merges). A final symbol that is not a token is replaced, as in llama.cpp, by the tokens
 * of its single ASCII bytes (other bytes are dropped).
 */
public final class ByteLevelBpeTokenizer extends VocabularyTokenizer {
    private final PreTokenizer pre;
    private final boolean ignoreMerges;
    private final Map<String, Integer> ids = new HashMap<>();
    /** Symbols: token ids, then pseudo ids for byte characters and merge results that are not tokens. */
    private final List<String> pseudoText = new ArrayList<>();
    private final Map<String, Integer> pseudoIds = new HashMap<>();
    private final int[] byteSymbol = new int[256];
    private final int[] asciiToken = new int[128];
    private final PairTable pairs;
    /** The byte alphabet reversed: character (U+0000…U+0143) → byte, -1 for characters outside it. Constant. */
    private static final int[] CHAR_TO_BYTE = new int[256 + 68];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        for (int b = 0; b < 256; b++) CHAR_TO_BYTE[byteChar(b)] = b;
    }

    public ByteLevelBpeTokenizer(TokenizerModel model) {
        super(model, cleansSpaces(model.preTokenizer()));
        if (model.kind() != TokenizerModel.Kind.BPE) throw new IllegalArgumentException("not a byte-level BPE vocabulary: " + model.kind());
        this.pre = PreTokenizer.forName(model.preTokenizer());
        if (pre == null) {
            throw new IllegalArgumentException("pre-tokenizer '" + model.preTokenizer() + "' is not supported (supported: llama3, llama-bpe, qwen2, deepseek-r1-qwen, "
                    + "llama-v3, falcon3, dbrx, smaug-bpe, gpt-2, phi-2, mpt, olmo, jais, default)");
        }
        this.ignoreMerges = switch (model.preTokenizer()) {
            case "llama3", "llama-v3", "llama-bpe", "falcon3" -> true;
            default -> false;
        };
        for (int i = 0; i < model.size(); i++) ids.putIfAbsent(model.tokens()[i], i);
        for (int b = 0; b < 256; b++) {
            byteSymbol[b] = symbol(new String(Character.toChars(byteChar(b))), true);
        }
        for (int b = 0; b < 128; b++) asciiToken[b] = ids.getOrDefault(String.valueOf((char) b), -1);
        this.pairs = new PairTable(Math.max(16, model.merges().length));
        for (int rank = 0; rank < model.merges().length; rank++) {
            String m = model.merges()[rank];
            int sp = m.indexOf(' ', 1); // llama.cpp splits at the first space after the first character
            String a = sp >= 0 ? m.substring(0, sp) : "", b = sp >= 0 ? m.substring(sp + 1) : "";
            int sa = symbol(a, false), sb = symbol(b, false);
            if (sa < 0 || sb < 0) continue; // a part that never is a symbol: the merge can never apply
            pairs.putIfAbsent(sa, sb, rank, symbol(a + b, true));
        }
    }

    /** llama.cpp's clean_spaces: on for byte-level BPE except the pre-tokenizers that turn it off (Qwen2). */
    private static boolean cleansSpaces(String pre) {
        return !(pre.equals("qwen2") || pre.equals("deepseek-r1-qwen"));
    }

    /** GPT-2's byte → character map: printable bytes stand for themselves, the others for U+0100 onwards in order. */
    static int byteChar(int b) {
        if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return b;
        int n = 0;
        for (int x = 0; x < b; x++) if (!((x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF))) n++;
        return 256 + n;
    }

    /** The symbol id of a text: its token id, else (when {@code create}) a pseudo id, else the pseudo id it has or -1. */
    private int symbol(String text, boolean create) {
        Integer id = ids.get(text);
        if (id != null) return id;
        Integer p = pseudoIds.get(text);
        if (p != null) return p;
        if (!create) return -1;
        pseudoText.add(text);
        pseudoIds.put(text, model.size() + pseudoText.size() - 1);
        return model.size() + pseudoText.size() - 1;
    }

    @Override
    protected void encodeText(String text, int start, int end, boolean afterSpecial, IntList out) {
        int[] cp = text.substring(start, end).codePoints().toArray();
        IntList ends = new IntList(cp.length / 3 + 4);
        pre.split(cp, 0, cp.length, ends);
        byte[] utf8 = new byte[4];
        IntList sym;
        MergeHeap heap = new MergeHeap(16);
        int wordStart = 0;
        for (int w = 0; w < ends.size(); w++) {
            int wordEnd = ends.get(w);
            sym = new IntList(16);
            for (int i = wordStart; i < wordEnd; i++) {
                int n = utf8(cp[i], utf8);
                for (int k = 0; k < n; k++) sym.add(byteSymbol[utf8[k] & 0xFF]);
            }
            wordStart = wordEnd;
            if (ignoreMerges) {
                Integer whole = ids.get(mappedText(sym));
                if (whole != null) {
                    out.add(whole);
                    continue;
                }
            }
            mergeWord(sym, heap, out);
        }
    }

    private static int utf8(int c, byte[] b) {
        if (c < 0x80) {
            b[0] = (byte) c;
            return 1;
        }
        if (c < 0x800) {
            b[0] = (byte) (0xC0 | (c >> 6));
            b[1] = (byte) (0x80 | (c & 0x3F));
            return 2;
        }
        if (c < 0x10000) {
            b[0] = (byte) (0xE0 | (c >> 12));
            b[1] = (byte) (0x80 | ((c >> 6) & 0x3F));
            b[2] = (byte) (0x80 | (c & 0x3F));
            return 3;
        }
        b[0] = (byte) (0xF0 | (c >> 18));
        b[1] = (byte) (0x80 | ((c >> 12) & 0x3F));
        b[2] = (byte) (0x80 | ((c >> 6) & 0x3F));
        b[3] = (byte) (0x80 | (c & 0x3F));
        return 4;
    }

    private String mappedText(IntList sym) {
        StringBuilder sb = new StringBuilder(sym.size());
        for (int i = 0; i < sym.size(); i++) sb.append(symbolText(sym.get(i)));
        return sb.toString();
    }

    private String symbolText(int s) {
        return s < model.size() ? model.tokens()[s] : pseudoText.get(s - model.size());
    }

    private void mergeWord(IntList symbols, MergeHeap heap, IntList out) {
        int n = symbols.size();
        int[] id = symbols.toArray(), prev = new int[n], next = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        heap.clear();
        for (int i = 1; i < n; i++) push(heap, id, i - 1, i);
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int l = MergeHeap.left(top), r = next[l];
            if (dead[l] || r < 0) continue;
            int slot = pairs.find(id[l], id[r]);
            if (slot < 0 || -pairs.rank(slot) != MergeHeap.score(top)) continue; // stale (see MergeHeap)
            id[l] = pairs.result(slot);
            dead[r] = true;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) push(heap, id, prev[l], l);
            if (next[l] >= 0) push(heap, id, l, next[l]);
        }
        for (int s = 0; s >= 0 && n > 0; s = next[s]) {
            if (id[s] < model.size()) {
                out.add(id[s]);
            } else {
                for (byte b : symbolText(id[s]).getBytes(StandardCharsets.UTF_8)) {
                    if (b >= 0 && asciiToken[b] >= 0) out.add(asciiToken[b]);
                }
            }
        }
    }

    private void push(MergeHeap heap, int[] id, int left, int right) {
        int slot = pairs.find(id[left], id[right]);
        if (slot >= 0) heap.push(-pairs.rank(slot), left);
    }

    @Override
    protected byte[] normalPieceBytes(String token) {
        // llama.cpp's llama_decode_text: each character back to its byte; one outside the byte alphabet becomes a marker
        ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); ) {
            int c = token.codePointAt(i);
            i += Character.charCount(c);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b >= 0) {
                out.write(b);
            } else {
                StringBuilder marker = new StringBuilder("[UNK_BYTE_0x");
                for (byte x : new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8)) marker.append(String.format("%02x", x & 0xFF));
                out.writeBytes(marker.append(token).append(']').toString().getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }

    /** The words the pre-tokenizer cuts this text into (for tests). */
    List<String> preTokenize(String text) {
        return pre.words(text);
    }

    @Override
    public String toString() {
        return "byte-level BPE, " + model.size() + " tokens, " + model.merges().length + " merges, pre-tokenizer " + model.preTokenizer();
    }

    /** (left symbol, right symbol) → merge rank and the resulting symbol; open addressing over packed long keys. */
    private static final class PairTable {
        private final long[] keys;
        private final int[] ranks, results;
        private final int mask;

        PairTable(int entries) {
            int cap = Integer.highestOneBit(entries * 2) << 1;
            keys = new long[cap];
            ranks = new int[cap];
            results = new int[cap];
            mask = cap - 1;
            java.util.Arrays.fill(keys, -1L);
        }

        private static int slot(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 29));
        }

        void putIfAbsent(int a, int b, int rank, int result) {
            long key = ((long) a << 32) | (b & 0xFFFFFFFFL);
            int i = slot(key) & mask;
            while (keys[i] != -1L) {
                if (keys[i] == key) return; // llama.cpp keeps the first rank of a repeated merge
                i = (i + 1) & mask;
            }
            keys[i] = key;
            ranks[i] = rank;
            results[i] = result;
        }

        int find(int a, int b) {
            long key = ((long) a << 32) | (b & 0xFFFFFFFFL);
            int i = slot(key) & mask;
            while (true) {
                long k = keys[i];
                if (k == key) return i;
                if (k == -1L) return -1;
                i = (i + 1) & mask;
            }
        }

        int rank(int slot) {
            return ranks[slot];
        }

        int result(int slot) {
            return results[slot];
        }
    }
}
