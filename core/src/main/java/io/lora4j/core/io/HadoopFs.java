package io.lora4j.core.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Small helpers over any Hadoop FileSystem (file:, hdfs:, s3a:, …): run directories, checkpoints and datasets use
 * these so a URI works wherever a local path does. Plain paths without a scheme are local files.
 */
public final class HadoopFs {
    private HadoopFs() {}

    public static Path path(String uri) {
        URI u = URI.create(uri.replace(" ", "%20"));
        if (u.getScheme() == null) return new Path(new java.io.File(uri).getAbsoluteFile().toURI());
        return new Path(u);
    }

    public static FileSystem fs(String uri, Configuration conf) throws IOException {
        FileSystem fs = path(uri).getFileSystem(conf);
        fs.setWriteChecksum(false); // no .crc side files next to checkpoints and shards
        return fs;
    }

    public static FileSystem fs(String uri) throws IOException {
        return fs(uri, new Configuration());
    }

    /** A plain path or a file: URI (what java.nio can write directly). */
    public static boolean isLocal(String uri) {
        String scheme = URI.create(uri.replace(" ", "%20")).getScheme();
        return scheme == null || scheme.equals("file");
    }

    /**
     * Copies a local file or directory tree to {@code uri} (any FileSystem), replacing what is there. Hadoop's own copy
     * puts a directory *inside* an existing destination directory (adapter/adapter), which would leave the old files
     * in place; so the tree is copied to a temporary sibling, the old one deleted, and the copy renamed into place.
     */
    public static void copyFromLocal(java.nio.file.Path local, String uri) throws IOException {
        FileSystem fs = fs(uri);
        Path target = path(uri);
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + Long.toHexString(System.nanoTime()));
        try {
            fs.copyFromLocalFile(false, true, new Path(local.toAbsolutePath().toUri()), tmp);
            if (fs.exists(target) && !fs.delete(target, true)) throw new IOException("could not delete the old " + uri);
            if (!fs.rename(tmp, target)) throw new IOException("could not rename " + tmp + " to " + target);
        } catch (IOException e) {
            fs.delete(tmp, true);
            throw new IOException("could not copy " + local + " to " + uri + ": " + e.getMessage(), e);
        }
    }

    /** Copies every entry of a local directory to {@code uri}/name, each replacing what is there (a staged run directory). */
    public static void copyEntriesFromLocal(java.nio.file.Path dir, String uri) throws IOException {
        try (var entries = java.nio.file.Files.list(dir)) {
            for (java.nio.file.Path f : entries.toList()) copyFromLocal(f, join(uri, f.getFileName().toString()));
        }
    }

    public static String join(String base, String child) {
        return base.endsWith("/") ? base + child : base + "/" + child;
    }

    /** Writes to {@code name.tmp-…} then renames, so readers never see a half-written file under the final name. */
    public static void writeAtomically(String uri, byte[] bytes) throws IOException {
        Path target = path(uri);
        FileSystem fs = fs(uri);
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + Long.toHexString(System.nanoTime()));
        try (OutputStream out = fs.create(tmp, true)) {
            out.write(bytes);
        } catch (IOException e) {
            fs.delete(tmp, false);
            throw new IOException("could not write " + uri + ": " + e.getMessage(), e);
        }
        if (fs.exists(target)) fs.delete(target, false);
        if (!fs.rename(tmp, target)) {
            fs.delete(tmp, false);
            throw new IOException("could not rename " + tmp + " to " + target);
        }
    }

    /** Renames a fully written directory into place (used for whole checkpoints). */
    public static void renameDirectory(String fromUri, String toUri) throws IOException {
        FileSystem fs = fs(toUri);
        Path to = path(toUri);
        if (fs.exists(to)) fs.delete(to, true);
        if (!fs.rename(path(fromUri), to)) throw new IOException("could not rename " + fromUri + " to " + toUri);
    }

    public static byte[] readAll(String uri) throws IOException {
        try (InputStream in = fs(uri).open(path(uri)); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            in.transferTo(out);
            return out.toByteArray();
        }
    }

    public static boolean exists(String uri) throws IOException {
        return fs(uri).exists(path(uri));
    }

    public static boolean isDirectory(String uri) throws IOException {
        return fs(uri).getFileStatus(path(uri)).isDirectory();
    }

    public static void mkdirs(String uri) throws IOException {
        fs(uri).mkdirs(path(uri));
    }

    public static void delete(String uri) throws IOException {
        fs(uri).delete(path(uri), true);
    }

    /** Names of the entries directly under a directory (empty when it does not exist). */
    public static List<String> list(String dirUri) throws IOException {
        FileSystem fs = fs(dirUri);
        Path dir = path(dirUri);
        List<String> names = new ArrayList<>();
        if (!fs.exists(dir)) return names;
        for (FileStatus s : fs.listStatus(dir)) names.add(s.getPath().getName());
        return names;
    }

    /** Appends text (used for metrics.jsonl); on filesystems without append it rewrites the file. */
    public static void appendText(String uri, String text) throws IOException {
        FileSystem fs = fs(uri);
        Path p = path(uri);
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (!fs.exists(p)) {
            try (OutputStream out = fs.create(p, false)) {
                out.write(bytes);
            }
            return;
        }
        try (OutputStream out = fs.append(p)) {
            out.write(bytes);
        } catch (UnsupportedOperationException | IOException e) {
            byte[] old = readAll(uri);
            byte[] all = java.util.Arrays.copyOf(old, old.length + bytes.length);
            System.arraycopy(bytes, 0, all, old.length, bytes.length);
            writeAtomically(uri, all);
        }
    }
}
