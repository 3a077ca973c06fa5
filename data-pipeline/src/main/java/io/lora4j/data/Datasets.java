package io.lora4j.data;

import io.lora4j.core.config.StrictYaml;
import io.lora4j.core.io.HadoopFs;
import io.lora4j.core.proto.DatasetManifest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * The one way a dataset is built from a {@code data:} section, whichever command asks: {@code prepare} and
 * {@code run} with Spark, {@code train} in this process ({@link LocalPrepare}); both write the same rows. A dataset
 * records the hash of the settings and tokenizer it was made from, so an unchanged one is not built again.
 */
public final class Datasets {
    /** Who runs the prepare logic. */
    public enum Runner {
        /** In this process, without Spark (Parquet inputs still go through Spark). */
        LOCAL,
        /** A Spark job: the active session, or a local one on the given master. */
        SPARK
    }

    private Datasets() {}

    /**
     * The tokenizer at {@code path}, from the same per-JVM cache the prepare job uses, so checking a fingerprint
     * before preparing does not load a (possibly 150k-entry) vocabulary a second time.
     */
    public static io.lora4j.core.tokenizer.Tokenizer tokenizer(String path) throws IOException {
        return TokenizerCache.get(path);
    }

    /**
     * What a dataset depends on: the canonical data settings, the tokenizer's fingerprint, the dataset format version
     * (a dataset of an older format is built again) and the text of a data.chat_template file (editing the file makes
     * the dataset stale; a missing one fails later, in validation).
     */
    public static String contentHash(PrepareConfig cfg, String tokenizerFingerprint) {
        String key = StrictYaml.canonical(cfg.withSources(cfg.sources())) + "|" + tokenizerFingerprint + "|format " + PreparedDataset.FORMAT_VERSION;
        if (cfg.chatTemplate() != null && java.nio.file.Files.isRegularFile(java.nio.file.Path.of(cfg.chatTemplate()))) {
            try {
                key += "|" + java.nio.file.Files.readString(java.nio.file.Path.of(cfg.chatTemplate()));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("data.chat_template = '" + cfg.chatTemplate() + "': " + e.getMessage(), e);
            }
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when {@code uri} holds a complete dataset made with {@code hash}. */
    public static boolean upToDate(String uri, String hash) throws IOException {
        if (!HadoopFs.exists(HadoopFs.join(uri, "manifest.pb"))) return false;
        DatasetManifest m = PreparedDataset.manifest(uri);
        return m.getContentHash().equals(hash);
    }

    /**
     * Builds the dataset of {@code cfg} at {@code outUri} (replacing what is there) and returns its summary.
     *
     * @param master   the Spark master for {@link Runner#SPARK} when no session is active
     * @param progress where Spark's progress goes (null: none)
     */
    public static PrepareSummary build(PrepareConfig cfg, String tokenizerPath, String outUri, String hash, Runner runner, String master, PrintStream log,
                                       PrintStream progress) throws IOException {
        cfg.requireSources();
        List<String> files = PrepareJob.validate(cfg, tokenizerPath); // fails fast, before Spark starts
        if (runner == Runner.LOCAL && LocalPrepare.canRead(files)) return LocalPrepare.run(cfg, tokenizerPath, outUri, hash, log);
        boolean own = SparkSession.getActiveSession().isEmpty();
        SparkSession spark = own ? PrepareJob.localSession(master) : SparkSession.active();
        try {
            return PrepareJob.run(spark, cfg, tokenizerPath, outUri, hash, log, progress);
        } finally {
            if (own) spark.stop();
        }
    }

    /**
     * The run's dataset: {@code data.prepared} when given (checked against the tokenizer), else {@code cfg}'s sources
     * built into {@code outUri} unless the dataset there is already up to date. Returns the dataset's URI.
     */
    public static String ensure(PrepareConfig cfg, String tokenizerPath, String tokenizerFingerprint, String outUri, Runner runner, String master,
                                PrintStream log, PrintStream progress) throws IOException {
        if (cfg.prepared() != null) {
            PreparedDataset.requireTokenizer(PreparedDataset.manifest(cfg.prepared()), cfg.prepared(), tokenizerFingerprint);
            return cfg.prepared();
        }
        String hash = contentHash(cfg, tokenizerFingerprint);
        if (upToDate(outUri, hash)) {
            log.println("== prepare: " + outUri + " is up to date (same data settings and tokenizer): skipped");
        } else {
            log.println("== prepare → " + outUri + (runner == Runner.LOCAL ? " (in this process)" : " (Spark)"));
            build(cfg, tokenizerPath, outUri, hash, runner, master, log, progress);
        }
        return outUri;
    }
}
