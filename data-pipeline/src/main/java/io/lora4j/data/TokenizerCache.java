package io.lora4j.data;

import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkFiles;

/**
 * One tokenizer per executor JVM and path (tokenizers are immutable and thread-safe), loaded on first use by a
 * partition. On a cluster the driver ships the tokenizer with {@code SparkContext.addFile}; an executor that does
 * not see the driver's path uses its shipped copy.
 */
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

    /** On an executor: the tokenizer at the driver's path, or the copy shipped with the job; checked by fingerprint. */
    static Tokenizer onExecutor(String driverPath, String fingerprint) throws IOException {
        String path = driverPath;
        if (!Files.exists(Path.of(driverPath))) path = SparkFiles.get(Path.of(driverPath).getFileName().toString());
        Tokenizer t = get(path);
        if (!t.fingerprint().equals(fingerprint)) {
            throw new IOException("tokenizer " + path + " on this executor differs from the driver's " + driverPath + " (fingerprint "
                    + t.fingerprint() + " vs " + fingerprint + ")");
        }
        return t;
    }
}
