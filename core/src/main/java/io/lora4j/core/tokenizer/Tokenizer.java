package io.lora4j.core.tokenizer;

/**
 * Text ↔ token ids, exactly as llama.cpp does it for the same vocabulary.
 * Implementations are immutable and safe to share between threads.
 */
public interface Tokenizer {

    /**
     * Encodes text like llama.cpp's {@code llama_tokenize(text, add_special = addBos, parse_special = false)}: with
     * {@code addBos} the BOS id is put first when the vocabulary adds one (add_bos_token: LLaMA, Llama-3, Mistral; not Qwen2.5). No EOS is added. Control tokens written in
     * the text are not recognised; user-defined tokens are (as in llama.cpp).
     */
    default int[] encode(String text, boolean addBos) {
        return encode(text, addBos, false);
    }

    /** As {@link #encode(String, boolean)}; with {@code parseSpecial} control tokens in the text ("&lt;/s&gt;") become their ids. */
    int[] encode(String text, boolean addBos, boolean parseSpecial);

    /**
     * Encodes text a chat template rendered, as transformers' {@code apply_chat_template(tokenize=True)} does: special
     * tokens written in it ("&lt;|eot_id|&gt;", "&lt;/s&gt;") become their ids, no BOS is added (the template writes
     * it), and SentencePiece puts its "▁" prefix only before text at the very start that does not begin with a space
     * (Metaspace prepend_scheme "first"), never after a special token as llama.cpp does. Byte-level BPE gives the
     * ids of {@code encode(text, false, true)}.
     */
    int[] encodeTemplate(String rendered);

    /**
     * The UTF-8 bytes token {@code id} covers in the text it was encoded from: special tokens written out, "▁" as a
     * space, a byte token its byte. Summed over {@link #encodeTemplate}'s ids they give the text's bytes, which is how
     * chat spans become token masks.
     */
    byte[] tokenBytes(int id);

    /**
     * The text the ids stand for: llama.cpp's {@code llama_detokenize(ids, remove_special = true, unparse_special = false)}
     * applied to the ids without a leading BOS, so the space SentencePiece put before the first word is removed whether
     * or not the ids start with BOS, and {@code decode(encode(s, true)) == s}. (llama.cpp itself keeps that space after
     * a BOS; {@link #detokenize} reproduces it exactly.) BOS/EOS, control and unknown tokens give no text.
     */
    String decode(int[] ids);

    /** Exactly llama.cpp's {@code llama_detokenize(ids, removeSpecial, unparseSpecial)}. */
    String detokenize(int[] ids, boolean removeSpecial, boolean unparseSpecial);

    /** The raw piece of one id (e.g. "▁the", "&lt;0x0A&gt;"). */
    String piece(int id);

    int vocabSize();

    int bosId();

    int eosId();

    /** Padding id, or -1 when the vocabulary has none. */
    int padId();

    int unkId();

    /** The vocabulary and settings (what a GGUF writer stores as tokenizer.ggml.*). */
    TokenizerModel model();

    /** A stable hash of the vocabulary and settings; see {@link Fingerprint} for what equal fingerprints guarantee. */
    String fingerprint();
}
