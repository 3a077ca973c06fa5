package io.lora4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lora4j.core.testing.MiniHdfs;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base models and tokenizers on HDFS are copied once into the local cache and reused until the remote copy changes;
 * run directories copied up to HDFS replace what was there.
 */
class LocalCopyTest {
    private static void put(FileSystem fs, String path, byte[] bytes) throws IOException {
        try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(path), true)) {
            out.write(bytes);
        }
    }

    private static long entries(Path cache) throws IOException {
        try (Stream<Path> s = Files.list(cache)) {
            return s.count();
        }
    }

    @Test
    void aLocalPathIsUsedAsItIs(@TempDir Path tmp) throws IOException {
        Path file = Files.writeString(tmp.resolve("m.gguf"), "x");
        assertEquals(file, LocalCopy.of(file.toString(), tmp.resolve("cache")));
        assertEquals(file, LocalCopy.of(file.toUri().toString(), tmp.resolve("cache")));
        assertTrue(Files.notExists(tmp.resolve("cache")), "nothing is copied for a local path");
    }

    @Test
    void filesAndDirectoriesOnHdfsAreCopiedOnceAndRecopiedWhenTheyChange(@TempDir Path tmp) throws IOException {
        Path cache = tmp.resolve("cache");
        try (MiniHdfs hdfs = MiniHdfs.start(tmp.resolve("hdfs"))) {
            FileSystem fs = hdfs.fs();
            byte[] model = new byte[100_000];
            for (int i = 0; i < model.length; i++) model[i] = (byte) (i * 31);
            put(fs, "/models/base.gguf", model);
            put(fs, "/models/hf/config.json", "{}".getBytes());
            put(fs, "/models/hf/model.safetensors", model);

            Path file = LocalCopy.of(hdfs.uri("/models/base.gguf"), cache);
            assertEquals("base.gguf", file.getFileName().toString());
            assertArrayEquals(model, Files.readAllBytes(file));
            Path dir = LocalCopy.of(hdfs.uri("/models/hf"), cache);
            assertTrue(Files.isDirectory(dir));
            assertArrayEquals(model, Files.readAllBytes(dir.resolve("model.safetensors")));
            assertEquals("{}", Files.readString(dir.resolve("config.json")));
            assertTrue(Files.notExists(dir.resolve(".model.safetensors.crc")), "no checksum side files");
            assertEquals(2, entries(cache), "one cache entry per remote path");

            long copied = Files.getLastModifiedTime(file).toMillis();
            assertEquals(file, LocalCopy.of(hdfs.uri("/models/base.gguf"), cache), "an unchanged model is reused");
            assertEquals(copied, Files.getLastModifiedTime(file).toMillis(), "and not copied again");
            assertEquals(2, entries(cache));

            byte[] changed = model.clone();
            changed[0] ^= 1;
            put(fs, "/models/base.gguf", changed);
            fs.setTimes(new org.apache.hadoop.fs.Path("/models/base.gguf"), System.currentTimeMillis() + 5_000, -1);
            Path again = LocalCopy.of(hdfs.uri("/models/base.gguf"), cache);
            assertNotEquals(file, again, "a changed model gets a new copy");
            assertArrayEquals(changed, Files.readAllBytes(again));

            IOException missing = assertThrows(IOException.class, () -> LocalCopy.of(hdfs.uri("/models/nope.gguf"), cache));
            assertTrue(missing.getMessage().contains("/models/nope.gguf") && missing.getMessage().contains("no such file"), missing.getMessage());

            // the other direction: a rerun's adapter directory replaces the old one instead of landing inside it
            Path adapter = Files.createDirectories(tmp.resolve("stage/adapter"));
            Files.writeString(adapter.resolve("adapter_model.safetensors"), "first");
            Files.writeString(adapter.resolve("old-only.txt"), "x");
            HadoopFs.copyFromLocal(adapter, hdfs.uri("/runs/r/adapter"));
            Files.delete(adapter.resolve("old-only.txt"));
            Files.writeString(adapter.resolve("adapter_model.safetensors"), "second");
            HadoopFs.copyFromLocal(adapter, hdfs.uri("/runs/r/adapter"));
            assertEquals("second", new String(HadoopFs.readAll(hdfs.uri("/runs/r/adapter/adapter_model.safetensors"))));
            assertEquals(java.util.List.of("adapter_model.safetensors"), HadoopFs.list(hdfs.uri("/runs/r/adapter")), "no nested adapter/adapter, no stale file");
            assertEquals(java.util.List.of("adapter"), HadoopFs.list(hdfs.uri("/runs/r")), "no temporary copy left behind");
        }
    }
}
