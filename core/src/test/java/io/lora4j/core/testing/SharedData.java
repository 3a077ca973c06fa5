package io.lora4j.core.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Access to the fixtures in {@code ../shared/data}. Tests that use it are named {@code *SharedDataTest}.
 *
 * <p>On a fresh clone without {@code ../shared} such a test is skipped; CI runs with
 * {@code -Dlora4j.requireShared=true}, where a missing file fails the test instead of skipping it.
 */
public final class SharedData {
    private SharedData() {}

    public static Path root() {
        String p = System.getProperty("lora4j.shared");
        Path base = p != null ? Path.of(p) : Path.of("..", "..", "shared");
        return base.resolve("data").toAbsolutePath().normalize();
    }

    /** A file under shared/data, e.g. {@code file("models/stories260K.gguf")}. */
    public static Path file(String relative) {
        Path f = root().resolve(relative);
        if (!Files.exists(f)) {
            if (Boolean.getBoolean("lora4j.requireShared")) {
                fail("shared fixture missing: " + f + " (CI requires ../shared/data)");
            }
            assumeTrue(false, "shared fixture not present: " + f);
        }
        return f;
    }
}
