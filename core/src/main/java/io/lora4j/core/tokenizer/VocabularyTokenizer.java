package io.lora4j.core.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What both tokenizers over a {@link TokenizerModel} share: special ids, the fingerprint, cutting special tokens out
 * of the text before tokenizing, and llama.cpp's detokenizer (token_to_piece + detokenize).
 */
abstract class VocabularyTokenizer implements Tokenizer {
    protected final TokenizerModel model;
    private final String fingerprint;
    private final SpecialTokenSplitter userDefined, allSpecial;
    /** token_to_piece(id, special = true) as UTF-8 bytes. */
    private final byte[][] pieceBytes;
    private final boolean cleanSpaces;

    VocabularyTokenizer(TokenizerModel model, boolean cleanSpaces) {
        this.model = model;
        this.fingerprint = Fingerprint.of(model);
        this.userDefined = new SpecialTokenSplitter(model, false);
        this.allSpecial = new SpecialTokenSplitter(model, true);
        this.cleanSpaces = cleanSpaces;
        this.pieceBytes = new byte[model.size()][];
        for (int id = 0; id < model.size(); id++) pieceBytes[id] = pieceOf(id);
    }

    /** The bytes of a NORMAL token (SentencePiece: "▁" → space; byte-level BPE: the byte alphabet reversed). */
    protected abstract byte[] normalPieceBytes(String token);

    /** Tokenizes one fragment of raw text (no special tokens in it) onto {@code out}. */
    protected abstract void encodeText(String text, int start, int end, boolean afterSpecial, IntList out);

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addBos && model.addBos() && model.bosId() >= 0) out.add(model.bosId()); // llama.cpp: add_special adds BOS only where add_bos
        if (text.isEmpty()) return out.toArray();
        SpecialTokenSplitter splitter = parseSpecial ? allSpecial : userDefined;
        if (splitter.isEmpty()) {
            encodeText(text, 0, text.length(), true, out);
        } else {
            boolean afterSpecial = true; // llama.cpp: the text at the start counts as following a special token
            for (SpecialTokenSplitter.Fragment f : splitter.split(text)) {
                if (f.isText()) {
                    encodeText(text, f.start(), f.end(), afterSpecial, out);
                    afterSpecial = false;
                } else {
                    out.add(f.token());
                    afterSpecial = true;
                }
            }
        }
        return out.toArray();
    }

    @Override
    public int[] encodeTemplate(String rendered) {
        IntList out = new IntList(rendered.length() / 3 + 4);
        for (SpecialTokenSplitter.Fragment f : allSpecial.split(rendered)) {
            if (f.isText()) {
                // transformers' Metaspace (prepend_scheme "first"): the prefix only at the start, and not before a space
                boolean prefix = f.start() == 0 && rendered.charAt(0) != ' ';
                encodeText(rendered, f.start(), f.end(), prefix, out);
            } else {
                out.add(f.token());
            }
        }
        return out.toArray();
    }

    @Override
    public byte[] tokenBytes(int id) {
        return pieceBytes(id, true).clone();
    }

    private byte[] pieceOf(int id) {
        String t = model.tokens()[id];
        return switch (model.tokenTypes()[id]) {
            case TokenizerModel.CONTROL, TokenizerModel.UNKNOWN, TokenizerModel.USER_DEFINED -> t.getBytes(StandardCharsets.UTF_8);
            case TokenizerModel.NORMAL -> normalPieceBytes(t);
            case TokenizerModel.BYTE -> new byte[] {(byte) hexByte(t)};
            default -> new byte[0]; // unused and undefined tokens have no text in llama.cpp
        };
    }

    /** llama.cpp reads a byte token's value with strtol on the two characters after "&lt;0x" (0 when they are not hex). */
    private static int hexByte(String t) {
        int v = 0;
        for (int i = 3; i < Math.min(5, t.length()); i++) {
            int d = Character.digit(t.charAt(i), 16);
            if (d < 0) break;
            v = v * 16 + d;
        }
        return v;
    }

    /** token_to_piece: control and unknown tokens give no text unless {@code special}. */
    byte[] pieceBytes(int id, boolean special) {
        if (id < 0 || id >= model.size()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + model.size());
        int type = model.tokenTypes()[id];
        if (!special && (type == TokenizerModel.CONTROL || type == TokenizerModel.UNKNOWN)) return new byte[0];
        return pieceBytes[id];
    }

    @Override
    public String decode(int[] ids) {
        int from = ids.length > 0 && model.bosId() >= 0 && ids[0] == model.bosId() ? 1 : 0;
        return detokenize(ids, from, true, false);
    }

    @Override
    public String detokenize(int[] ids, boolean removeSpecial, boolean unparseSpecial) {
        return detokenize(ids, 0, removeSpecial, unparseSpecial);
    }

    private String detokenize(int[] ids, int from, boolean removeSpecial, boolean unparseSpecial) {
        int to = ids.length;
        boolean removeSpace = model.addSpacePrefix();
        if (removeSpecial && model.addBos() && to > from && ids[from] == model.bosId()) {
            removeSpace = false;
            from++;
        }
        if (removeSpecial && model.addEos() && to > from && ids[to - 1] == model.eosId()) to--;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            byte[] p = pieceBytes(ids[i], unparseSpecial);
            int skip = removeSpace && p.length > 0 && p[0] == ' ' ? 1 : 0;
            out.write(p, skip, p.length - skip);
            removeSpace = false;
        }
        byte[] text = out.toByteArray();
        int n = cleanSpaces ? CleanSpaces.apply(text) : text.length;
        return new String(text, 0, n, StandardCharsets.UTF_8);
    }

    @Override
    public TokenizerModel model() {
        return model;
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

    /** For tests: the fragments special tokens cut the text into. */
    List<SpecialTokenSplitter.Fragment> fragments(String text, boolean parseSpecial) {
        return (parseSpecial ? allSpecial : userDefined).split(text);
    }
}
