package io.lora4j.core.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A stable SHA-256 over what decides how text becomes ids: kind, pieces by id, token types, BPE merges, special ids
 * and flags. SentencePiece scores are left out on purpose: a tokenizer.json stores merge ranks instead of the
 * .model's scores, and both orderings encode the same way, so the same vocabulary gets the same fingerprint from
 * tokenizer.model, tokenizer.json and GGUF.
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
