package io.lora4j.data;

import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/** One tokenizer per executor JVM and path (tokenizers are immutable and thread-safe), loaded on first use by a partition. */
final class TokenizerCache {
    private static final ConcurrentHashMap<String, Tokenizer> CACHE = new ConcurrentHashMap<>();

    private TokenizerCache() {}

    static Tokenizer get(String path) throws IOException {
        Tokenizer t = CACHE.get(path);
        if (t != null) return t;
        t = Tokenizers.load(Path.of(path));
        CACHE.putIfAbsent(path, t);
        return CACHE.get(path);
    }
}
