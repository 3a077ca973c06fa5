package io.lora4j.core.tokenizer;

/** What every tokenizer over a {@link TokenizerModel} shares: the vocabulary, its special ids and the fingerprint. */
abstract class VocabularyTokenizer implements Tokenizer {
    protected final TokenizerModel model;
    private final String fingerprint;

    VocabularyTokenizer(TokenizerModel model) {
        this.model = model;
        this.fingerprint = Fingerprint.of(model);
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
}
