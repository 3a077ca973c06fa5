package io.lora4j.core.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.apache.hadoop.fs.ContentSummary;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * A local path for a file or directory that may live on any Hadoop FileSystem: model loaders memory-map local files,
 * so a base model or tokenizer at {@code hdfs://…} (what every executor of a cluster can reach) is copied once into a
 * local cache and reused by every task and run that sees the same cache directory while the remote copy is unchanged.
 *
 * <p>The cache entry is keyed by URI, size and modification time; it is filled under a temporary name and renamed
 * into place, so tasks copying the same model at once never see a half-written one.
 */
public final class LocalCopy {
    /** Where copies are kept: {@code lora4j.cache} if set, else {@code java.io.tmpdir}/lora4j-cache. */
    public static Path cacheRoot() {
        String dir = System.getProperty("lora4j.cache");
        return dir != null ? Path.of(dir) : Path.of(System.getProperty("java.io.tmpdir"), "lora4j-cache");
    }

    private LocalCopy() {}

    /** {@code uri} itself for a plain path or file: URI; otherwise the cached local copy (made on first use). */
    public static Path of(String uri) throws IOException {
        return of(uri, cacheRoot());
    }

    /** As {@link #of(String)}, with copies kept under {@code cacheRoot}. */
    public static Path of(String uri, Path cacheRoot) throws IOException {
        if (HadoopFs.isLocal(uri)) return uri.startsWith("file:") ? Path.of(java.net.URI.create(uri)) : Path.of(uri);
        FileSystem fs = HadoopFs.fs(uri);
        org.apache.hadoop.fs.Path remote = HadoopFs.path(uri);
        FileStatus status;
        try {
            status = fs.getFileStatus(remote);
        } catch (java.io.FileNotFoundException e) {
            throw new java.io.FileNotFoundException(uri + ": no such file or directory");
        }
        long size = status.isDirectory() ? contentLength(fs, remote) : status.getLen();
        String key = sha256(uri + "|" + size + "|" + status.getModificationTime()).substring(0, 24);
        Path entry = cacheRoot.resolve(key);
        Path local = entry.resolve(remote.getName());
        if (Files.exists(entry.resolve(".complete"))) return local;

        Files.createDirectories(cacheRoot);
        Path tmp = Files.createTempDirectory(cacheRoot, key + ".tmp-");
        try {
            fs.copyToLocalFile(false, remote, new org.apache.hadoop.fs.Path(tmp.resolve(remote.getName()).toUri()), true);
            Files.writeString(tmp.resolve(".complete"), uri + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                if (!Files.exists(entry.resolve(".complete"))) throw new IOException("could not place the copy of " + uri + " at " + entry, e);
                deleteTree(tmp); // another task finished the same copy first
            }
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw new IOException("could not copy " + uri + " to the local cache " + cacheRoot + ": " + e.getMessage(), e);
        }
        return local;
    }

    private static long contentLength(FileSystem fs, org.apache.hadoop.fs.Path dir) throws IOException {
        ContentSummary s = fs.getContentSummary(dir);
        return s.getLength() * 31 + s.getFileCount();
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
