package io.lora4j.core.tokenizer;

import java.util.Optional;

/**
 * A vocabulary and its settings, independent of where it was read from (GGUF tokenizer.ggml.*, tokenizer.model,
 * tokenizer.json). Token types follow llama.cpp: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
 *
 * @param kind      SPM (SentencePiece BPE, LLaMA-1/2) or BPE (byte-level, LLaMA-3)
 * @param merges    "left right" pairs in priority order (BPE only; empty for SPM)
 * @param bosId     -1 when absent (likewise eos/unk/pad)
 * @param preTokenizer the BPE pre-tokenizer name ("llama-bpe", "default", …)
 */
public record TokenizerModel(
        Kind kind,
        String[] tokens,
        float[] scores,
        int[] tokenTypes,
        String[] merges,
        int bosId,
        int eosId,
        int unkId,
        int padId,
        boolean addBos,
        boolean addEos,
        boolean addSpacePrefix,
        String preTokenizer,
        Optional<String> chatTemplate) {

    public enum Kind { SPM, BPE }

    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    public TokenizerModel {
        if (tokens.length == 0) throw new IllegalArgumentException("empty vocabulary");
        if (scores.length != tokens.length || tokenTypes.length != tokens.length) {
            throw new IllegalArgumentException("vocabulary has " + tokens.length + " tokens but " + scores.length + " scores and " + tokenTypes.length + " token types");
        }
        for (int id : new int[] {bosId, eosId, unkId, padId}) {
            if (id >= tokens.length) throw new IllegalArgumentException("special token id " + id + " is outside the vocabulary of " + tokens.length);
        }
    }

    public int size() {
        return tokens.length;
    }
}
