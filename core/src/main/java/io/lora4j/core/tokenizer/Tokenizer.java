package io.lora4j.core.tokenizer;

/**
 * Text ↔ token ids, exactly as llama.cpp does it for the same vocabulary.
 * Implementations are immutable and safe to share between threads.
 */
public interface Tokenizer {

    /** Encodes text; with {@code addBos} the BOS id is put first (when the vocabulary has one). No EOS is added. */
    int[] encode(String text, boolean addBos);

    /** Decodes ids back to text the way llama.cpp detokenizes (leading space of the first piece removed, BOS/EOS dropped). */
    String decode(int[] ids);

    /** The raw piece of one id (e.g. "▁the", "<0x0A>"). */
    String piece(int id);

    int vocabSize();

    int bosId();

    int eosId();

    /** Padding id, or -1 when the vocabulary has none. */
    int padId();

    int unkId();

    /** The vocabulary and settings (what a GGUF writer stores as tokenizer.ggml.*). */
    TokenizerModel model();

    /** A stable hash of the vocabulary and settings; two tokenizers that encode identically have the same one. */
    String fingerprint();
}
