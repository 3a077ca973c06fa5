package io.lora4j.core.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A stable SHA-256 over what decides how text becomes ids: kind, pieces by id, token types, BPE merges in order,
 * special ids, add_bos/add_eos/add_space_prefix and the pre-tokenizer name (not the chat template).
 *
 * <p>Equal fingerprints mean: the same pieces with the same ids, types and settings. SentencePiece scores are left
 * out on purpose: a tokenizer.json stores merge ranks, not the .model's scores, and for LLaMA the two differ only in
 * how the 15 all-"▁" pieces are ordered among themselves (tied at -1e9 in the .model, ranked in the json), which
 * cannot change a tokenization (those pieces only ever merge with each other, left to right in both); so the same
 * vocabulary gets the same fingerprint from tokenizer.model, tokenizer.json and GGUF, and the three encode every
 * llama.cpp test case identically. The price: two SentencePiece vocabularies that differ only in scores would
 * share a fingerprint.
 */
final class Fingerprint {
    private Fingerprint() {}

    static String of(TokenizerModel m) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(m.kind().name().getBytes(StandardCharsets.UTF_8));
            ByteBuffer b = ByteBuffer.allocate(4);
            for (int i = 0; i < m.size(); i++) {
                d.update(m.tokens()[i].getBytes(StandardCharsets.UTF_8));
                b.clear();
                b.putInt(m.tokenTypes()[i]);
                d.update(b.array(), 0, 4);
            }
            for (String merge : m.merges()) d.update((merge + "\n").getBytes(StandardCharsets.UTF_8));
            String flags = m.bosId() + "," + m.eosId() + "," + m.unkId() + "," + m.padId() + "," + m.addBos() + "," + m.addEos() + "," + m.addSpacePrefix() + "," + m.preTokenizer();
            d.update(flags.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
