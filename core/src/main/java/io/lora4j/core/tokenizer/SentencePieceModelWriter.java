package io.lora4j.core.tokenizer;

import io.lora4j.core.proto.sentencepiece.ModelProto;
import io.lora4j.core.proto.sentencepiece.NormalizerSpec;
import io.lora4j.core.proto.sentencepiece.TrainerSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Writes a SentencePiece vocabulary as a BPE {@code tokenizer.model} (pieces, scores, types, special ids) that the
 * sentencepiece library loads and encodes as llama.cpp does: no normalization rule and no whitespace folding (llama.cpp
 * keeps runs of spaces), a "▁" first when the vocabulary adds one, byte fallback when all 256 byte pieces exist.
 */
public final class SentencePieceModelWriter {
    private SentencePieceModelWriter() {}

    /** Why sentencepiece would refuse this vocabulary as a model file, or empty when it can be written. */
    public static Optional<String> problem(TokenizerModel m) {
        if (m.kind() != TokenizerModel.Kind.SPM) return Optional.of("not a SentencePiece vocabulary (" + m.kind() + ")");
        if (m.unkId() < 0) return Optional.of("sentencepiece needs an unknown piece and this vocabulary has none");
        Set<String> seen = new HashSet<>();
        for (String t : m.tokens()) {
            if (t.isEmpty()) return Optional.of("sentencepiece rejects empty pieces");
            if (!seen.add(t)) return Optional.of("piece '" + t + "' occurs twice, which sentencepiece rejects");
        }
        return Optional.empty();
    }

    public static void write(Path file, TokenizerModel m) throws IOException {
        problem(m).ifPresent(p -> {
            throw new IllegalArgumentException(file + ": cannot write a SentencePiece model: " + p);
        });
        ModelProto.Builder b = ModelProto.newBuilder();
        for (int i = 0; i < m.size(); i++) {
            // the unknown id is the one unknown piece sentencepiece allows; other pieces llama.cpp typed unknown become control
            int type = i == m.unkId() ? TokenizerModel.UNKNOWN : m.tokenTypes()[i] == TokenizerModel.UNKNOWN ? TokenizerModel.CONTROL : m.tokenTypes()[i];
            b.addPieces(ModelProto.SentencePiece.newBuilder().setPiece(m.tokens()[i]).setScore(m.scores()[i])
                    .setType(ModelProto.SentencePiece.Type.forNumber(type) != null ? ModelProto.SentencePiece.Type.forNumber(type) : ModelProto.SentencePiece.Type.NORMAL));
        }
        TrainerSpec.Builder spec = TrainerSpec.newBuilder().setModelType(TrainerSpec.ModelType.BPE).setVocabSize(m.size())
                .setByteFallback(hasAllBytes(m)).setUnkId(m.unkId()).setUnkPiece(m.tokens()[m.unkId()])
                .setBosId(m.bosId()).setEosId(m.eosId()).setPadId(m.padId());
        if (m.bosId() >= 0) spec.setBosPiece(m.tokens()[m.bosId()]);
        if (m.eosId() >= 0) spec.setEosPiece(m.tokens()[m.eosId()]);
        if (m.padId() >= 0) spec.setPadPiece(m.tokens()[m.padId()]);
        b.setTrainerSpec(spec);
        b.setNormalizerSpec(NormalizerSpec.newBuilder().setName("identity").setAddDummyPrefix(m.addSpacePrefix())
                .setRemoveExtraWhitespaces(false).setEscapeWhitespaces(true));
        try (OutputStream out = Files.newOutputStream(file)) {
            b.build().writeTo(out);
        }
    }

    private static boolean hasAllBytes(TokenizerModel m) {
        int found = 0;
        for (int i = 0; i < m.size(); i++) {
            if (m.tokenTypes()[i] == TokenizerModel.BYTE && m.tokens()[i].matches("<0x[0-9A-F]{2}>")) found++;
        }
        return found == 256;
    }
}
