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
 *
 * <p>Speed (same ids, see ByteLevelBpeCorpusSharedDataTest): hand-written pre-tokenizer scanners; per thread, a cache
 * of recent words' ids ({@link BpeWordCache}) and of recent merge probes; a table of all byte pairs; a Bloom filter in
 * front of the merge table; and words start from whole characters where {@link CharSymbols} proves that exact.
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
    /** The merge of every pair of byte symbols, by (first byte << 8 | second byte): the first probes of every word. */
    private final long[] bytePairs = new long[1 << 16];
    /** Characters a word may start from as one symbol (see there why that is exact). */
    private final CharSymbols charSymbols;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
    /** With ignore_merges (LLaMA-3): every token by its bytes, so a word that is a token is taken whole; else null. */
    private final WholeWords wholeWords;
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
        if (ignoreMerges) {
            wholeWords = new WholeWords(model.size());
            for (int i = 0; i < model.size(); i++) {
                byte[] bytes = alphabetBytes(model.tokens()[i]);
                if (bytes != null && ids.get(model.tokens()[i]) == i) wholeWords.add(bytes, i);
            }
        } else {
            wholeWords = null;
        }
        this.pairs = new PairTable(Math.max(16, model.merges().length));
        IntList lefts = new IntList(model.merges().length), rights = new IntList(model.merges().length), ranks = new IntList(model.merges().length);
        for (int rank = 0; rank < model.merges().length; rank++) {
            String m = model.merges()[rank];
            int sp = m.indexOf(' ', 1); // llama.cpp splits at the first space after the first character
            String a = sp >= 0 ? m.substring(0, sp) : "", b = sp >= 0 ? m.substring(sp + 1) : "";
            int sa = symbol(a, false), sb = symbol(b, false);
            if (sa < 0 || sb < 0) continue; // a part that never is a symbol: the merge can never apply
            pairs.putIfAbsent(sa, sb, rank, symbol(a + b, true));
            lefts.add(sa);
            rights.add(sb);
            ranks.add(rank);
        }
        for (int x = 0; x < 256; x++) for (int y = 0; y < 256; y++) bytePairs[x << 8 | y] = pairs.lookup(byteSymbol[x], byteSymbol[y]);
        this.charSymbols = new CharSymbols(model.size() + pseudoText.size(), byteSymbol, (a, b) -> pairs.lookup((int) a, (int) b), lefts, rights, ranks,
                edgeBytes(false), edgeBytes(true));
    }

    /** The first and last byte each symbol stands for ({@code last} false: first), -1 for a text outside the byte alphabet. */
    private int[] edgeBytes(boolean last) {
        int[] out = new int[model.size() + pseudoText.size()];
        for (int i = 0; i < out.length; i++) {
            String t = symbolText(i);
            char ch = t.isEmpty() ? 0xFFFF : t.charAt(last ? t.length() - 1 : 0);
            out[i] = ch < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[ch] : -1;
        }
        return out;
    }

    /** llama.cpp's clean_spaces: on for byte-level BPE except the pre-tokenizers that turn it off (Qwen2). */
    private static boolean cleansSpaces(String pre) {
        return !(pre.equals("qwen2") || pre.equals("deepseek-r1-qwen"));
    }

    /** The bytes a token string stands for in the byte alphabet, or null when it has a character outside it. */
    private static byte[] alphabetBytes(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) return null;
            out[i] = (byte) b;
        }
        return out;
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
        Scratch s = scratch.get();
        int[] cp = s.codePoints(end - start);
        int ncp = 0;
        for (int i = start; i < end; ) {
            int c = text.codePointAt(i);
            cp[ncp++] = c;
            i += Character.charCount(c);
        }
        IntList ends = s.ends;
        ends.clear();
        pre.split(cp, 0, ncp, ends);
        int wordStart = 0;
        for (int w = 0; w < ends.size(); w++) {
            int wordEnd = ends.get(w);
            byte[] bytes = s.bytes(4 * (wordEnd - wordStart));
            int n = 0;
            int from = wordStart;
            wordStart = wordEnd;
            for (int i = from; i < wordEnd; i++) n = utf8(cp[i], bytes, n);
            long hash = WholeWords.SEED;
            for (int i = 0; i < n; i++) hash = WholeWords.mix(hash, bytes[i]);
            int[] known = s.words.get(hash, bytes, n);
            if (known != null) {
                out.addAll(known);
                continue;
            }
            int first = out.size();
            int whole = wholeWords == null ? -1 : wholeWords.find(hash, bytes, n);
            if (whole >= 0) {
                out.add(whole);
            } else {
                int m = startSymbols(s, cp, from, wordEnd, bytes, n);
                if (m <= SMALL_WORD) {
                    mergeSmall(s, m, out);
                } else {
                    if (s.heap == null) s.heap = new MergeHeap(64);
                    mergeWord(s, java.util.Arrays.copyOf(s.sym, m), out);
                }
            }
            s.words.put(hash, bytes, n, out.copyOfRange(first, out.size()));
        }
    }

    /**
     * The word cp[from, to) as its starting symbols in s.sym (their count returned): a character's own symbol where
     * {@link CharSymbols} allows it between its neighbouring bytes, else its bytes' symbols (s.byteValue: the byte, or -1 for a character's symbol).
     */
    private int startSymbols(Scratch s, int[] cp, int from, int to, byte[] bytes, int nBytes) {
        s.symbols(bytes.length);
        int[] sym = s.sym, bv = s.byteValue;
        int m = 0;
        for (int i = from, p = 0; i < to; i++) {
            int c = cp[i];
            int k = CharSymbols.utf8Length(c);
            int whole = k == 1 ? -1 : charSymbols.symbol(c, p > 0 ? bytes[p - 1] & 0xFF : -1, p + k < nBytes ? bytes[p + k] & 0xFF : -1);
            if (whole >= 0) {
                sym[m] = whole;
                bv[m++] = -1;
                p += k;
            } else {
                for (int j = 0; j < k; j++) {
                    int b = bytes[p++] & 0xFF;
                    sym[m] = byteSymbol[b];
                    bv[m++] = b;
                }
            }
        }
        return m;
    }

    /** Up to this many starting symbols a word is merged by scanning for the best pair (no queue): most words are this short. */
    private static final int SMALL_WORD = 128;

    /**
     * BPE by scanning: merge the lowest-rank pair (leftmost on ties) until none merges; the same result as the queue.
     * Each position keeps the merge its pair with the next symbol would make, so a merge costs two table probes.
     */
    private void mergeSmall(Scratch s, int n, IntList out) {
        int[] sym = s.sym, bv = s.byteValue;
        long[] pv = s.pv;
        for (int i = 0; i + 1 < n; i++) pv[i] = bv[i] >= 0 && bv[i + 1] >= 0 ? bytePairs[bv[i] << 8 | bv[i + 1]] : pair(s, sym[i], sym[i + 1]);
        while (n > 1) {
            int best = -1, bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < n; i++) {
                long v = pv[i];
                if (v >= 0 && PairTable.rank(v) < bestRank) {
                    bestRank = PairTable.rank(v);
                    best = i;
                }
            }
            if (best < 0) break;
            sym[best] = PairTable.result(pv[best]);
            System.arraycopy(sym, best + 2, sym, best + 1, n - best - 2);
            System.arraycopy(pv, best + 2, pv, best + 1, n - best - 2);
            n--;
            if (best > 0) pv[best - 1] = pair(s, sym[best - 1], sym[best]);
            pv[best] = best + 1 < n ? pair(s, sym[best], sym[best + 1]) : -1;
        }
        for (int i = 0; i < n; i++) emit(sym[i], out);
    }

    /**
     * The merge of a and b through this thread's small direct-mapped copy of the recently used pairs: text reuses few
     * pairs over and over, and the full table (millions of bytes for 150k–280k merges) misses the CPU cache.
     */
    private long pair(Scratch s, int a, int b) {
        long key = ((long) a << 32) | (b & 0xFFFFFFFFL);
        long[] c = s.pairCache;
        int i = (PairTable.slot(key) & (Scratch.PAIR_CACHE - 1)) << 1;
        if (c[i] == key) return c[i + 1];
        long v = pairs.lookup(a, b);
        c[i] = key;
        c[i + 1] = v;
        return v;
    }

    private void emit(int symbol, IntList out) {
        if (symbol < model.size()) {
            out.add(symbol);
        } else {
            for (byte b : symbolText(symbol).getBytes(StandardCharsets.UTF_8)) {
                if (b >= 0 && asciiToken[b] >= 0) out.add(asciiToken[b]);
            }
        }
    }

    /** Writes the UTF-8 bytes of code point c at b[at]; returns the position after them. */
    private static int utf8(int c, byte[] b, int at) {
        if (c < 0x80) {
            b[at] = (byte) c;
            return at + 1;
        }
        if (c < 0x800) {
            b[at] = (byte) (0xC0 | (c >> 6));
            b[at + 1] = (byte) (0x80 | (c & 0x3F));
            return at + 2;
        }
        if (c < 0x10000) {
            b[at] = (byte) (0xE0 | (c >> 12));
            b[at + 1] = (byte) (0x80 | ((c >> 6) & 0x3F));
            b[at + 2] = (byte) (0x80 | (c & 0x3F));
            return at + 3;
        }
        b[at] = (byte) (0xF0 | (c >> 18));
        b[at + 1] = (byte) (0x80 | ((c >> 12) & 0x3F));
        b[at + 2] = (byte) (0x80 | ((c >> 6) & 0x3F));
        b[at + 3] = (byte) (0x80 | (c & 0x3F));
        return at + 4;
    }

    private String symbolText(int s) {
        return s < model.size() ? model.tokens()[s] : pseudoText.get(s - model.size());
    }

    /** BPE with a queue, for long words; {@code pv[i]} is the merge of symbol i with the one after it (-1: none). */
    private void mergeWord(Scratch s, int[] id, IntList out) {
        MergeHeap heap = s.heap;
        int n = id.length;
        int[] prev = new int[n], next = new int[n];
        long[] pv = new long[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        heap.clear();
        pv[n - 1] = -1;
        for (int i = 0; i + 1 < n; i++) push(heap, pv, i, pair(s, id[i], id[i + 1]));
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int l = MergeHeap.left(top), r = next[l];
            if (dead[l] || r < 0) continue;
            long v = pv[l];
            if (v < 0 || -PairTable.rank(v) != MergeHeap.score(top)) continue; // stale (see MergeHeap)
            id[l] = PairTable.result(v);
            dead[r] = true;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) push(heap, pv, prev[l], pair(s, id[prev[l]], id[l]));
            if (next[l] >= 0) push(heap, pv, l, pair(s, id[l], id[next[l]]));
            else pv[l] = -1;
        }
        for (int x = 0; x >= 0 && n > 0; x = next[x]) emit(id[x], out);
    }

    private static void push(MergeHeap heap, long[] pv, int left, long merge) {
        pv[left] = merge;
        if (merge >= 0) heap.push(-PairTable.rank(merge), left);
    }

    /** One thread's working memory: buffers reused from call to call, and its caches of pairs and words. */
    private static final class Scratch {
        static final int PAIR_CACHE = 1 << 14;
        final IntList ends = new IntList(256);
        int[] sym = new int[256], byteValue = new int[256];
        final long[] pv = new long[SMALL_WORD];
        final long[] pairCache = new long[2 * PAIR_CACHE];
        final BpeWordCache words = new BpeWordCache();
        MergeHeap heap;
        private int[] cp = new int[256];
        private byte[] bytes = new byte[256];

        Scratch() {
            for (int i = 0; i < pairCache.length; i += 2) pairCache[i] = -1L; // no pair has key -1
        }

        int[] codePoints(int n) {
            if (cp.length < n) cp = new int[Math.max(n, 2 * cp.length)];
            return cp;
        }

        void symbols(int n) {
            if (sym.length < n) {
                sym = new int[Math.max(n, 2 * sym.length)];
                byteValue = new int[sym.length];
            }
        }

        byte[] bytes(int n) {
            if (bytes.length < n) bytes = new byte[Math.max(n, 2 * bytes.length)];
            return bytes;
        }
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

    /** Token ids by the bytes they stand for: open addressing on a 64-bit hash, confirmed by comparing the bytes. */
    private static final class WholeWords {
        static final long SEED = 0xcbf29ce484222325L;
        private final long[] hashes;
        private final int[] ids;
        private final byte[][] bytes;
        private final int mask;

        WholeWords(int entries) {
            int cap = Integer.highestOneBit(entries * 2) << 1;
            hashes = new long[cap];
            ids = new int[cap];
            bytes = new byte[cap][];
            mask = cap - 1;
        }

        static long mix(long h, byte b) { // FNV-1a
            return (h ^ (b & 0xFF)) * 0x100000001b3L;
        }

        void add(byte[] b, int id) {
            long h = SEED;
            for (byte x : b) h = mix(h, x);
            int i = (int) (h ^ (h >>> 32)) & mask;
            while (bytes[i] != null) i = (i + 1) & mask;
            hashes[i] = h;
            ids[i] = id;
            bytes[i] = b;
        }

        int find(long h, byte[] word, int n) {
            for (int i = (int) (h ^ (h >>> 32)) & mask; bytes[i] != null; i = (i + 1) & mask) {
                if (hashes[i] == h && bytes[i].length == n && java.util.Arrays.equals(bytes[i], 0, n, word, 0, n)) return ids[i];
            }
            return -1;
        }
    }

    /**
     * (left symbol, right symbol) → merge rank and resulting symbol, open addressing with the key and its value side by
     * side in one array, so a probe touches one cache line (the 280k-merge table of Llama-3 is far larger than the cache).
     */
    private static final class PairTable {
        private final long[] table; // [2i] key, [2i+1] rank << 32 | result
        private final int mask;
        /**
         * A Bloom filter of the keys, three bits in one 64-bit word per key (about 14 bits a key): most pairs a text
         * asks about do not merge, and the filter, small enough for the CPU cache, answers those without the table.
         */
        private final long[] filter;
        private final int filterMask;

        PairTable(int entries) {
            int cap = Integer.highestOneBit(entries * 2) << 1;
            table = new long[2 * cap];
            mask = cap - 1;
            for (int i = 0; i < cap; i++) table[2 * i] = -1L;
            filter = new long[Integer.highestOneBit(Math.max(64, entries / 4))];
            filterMask = filter.length - 1;
        }

        private static long mix(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            h ^= h >>> 32;
            h *= 0xC2B2AE3D27D4EB4FL;
            return h ^ (h >>> 29);
        }

        private static long filterBits(long h) {
            return (1L << (h >>> 58)) | (1L << ((h >>> 52) & 63)) | (1L << ((h >>> 46) & 63));
        }

        static int slot(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 29));
        }

        void putIfAbsent(int a, int b, int rank, int result) {
            long key = ((long) a << 32) | (b & 0xFFFFFFFFL);
            int i = slot(key) & mask;
            while (table[2 * i] != -1L) {
                if (table[2 * i] == key) return; // llama.cpp keeps the first rank of a repeated merge
                i = (i + 1) & mask;
            }
            table[2 * i] = key;
            table[2 * i + 1] = ((long) rank << 32) | (result & 0xFFFFFFFFL);
            long h = mix(key);
            filter[(int) h & filterMask] |= filterBits(h);
        }

        /** The packed merge (see {@link #rank}, {@link #result}) of a and b, or -1 when they do not merge. */
        long lookup(int a, int b) {
            long key = ((long) a << 32) | (b & 0xFFFFFFFFL);
            long h = mix(key), bits = filterBits(h);
            if ((filter[(int) h & filterMask] & bits) != bits) return -1L;
            int i = slot(key) & mask;
            while (true) {
                long k = table[2 * i];
                if (k == key) return table[2 * i + 1];
                if (k == -1L) return -1L;
                i = (i + 1) & mask;
            }
        }

        static int rank(long merge) {
            return (int) (merge >>> 32);
        }

        static int result(long merge) {
            return (int) merge;
        }
    }
}
