package io.lora4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Written files get the process umask's permissions like any other tool's (exported GGUFs and adapters were 0600). */
class AtomicFilesPermissionsTest {
    @Test
    void atomicallyWrittenFilesHaveTheUmasksPermissions(@TempDir Path tmp) throws Exception {
        Path plain = tmp.resolve("plain.txt");
        Files.writeString(plain, "x"); // the process umask decides these
        Path atomic = tmp.resolve("model.gguf");
        AtomicFiles.writeString(atomic, "x");
        Set<PosixFilePermission> expected = Files.getPosixFilePermissions(plain);
        assertEquals(expected, Files.getPosixFilePermissions(atomic));
        assertTrue(expected.contains(PosixFilePermission.OWNER_READ) && expected.contains(PosixFilePermission.OWNER_WRITE));
        try (var s = Files.list(tmp)) {
            assertEquals(2, s.count(), "no temporary file left behind");
        }
    }
}
