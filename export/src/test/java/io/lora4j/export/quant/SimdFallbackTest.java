package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lora4j.core.ggml.GgmlType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM started without {@code --add-modules jdk.incubator.vector} (as a plain {@code java -cp} would be) must take
 * the scalar code without touching the vector classes, and write the same bytes as this JVM, which has the module.
 */
class SimdFallbackTest {

    /** Entry point of the child JVM: whether SIMD is on, then one digest line per type. */
    public static void main(String[] args) throws Exception {
        System.out.println("simd=" + Simd.ENABLED);
        System.out.print(digests());
    }

    static String digests() throws NoSuchAlgorithmException {
        StringBuilder sb = new StringBuilder();
        for (String family : new String[] {"gauss", "mixed", "scales"}) {
            float[] x = ReferenceInputs.family(family);
            for (GgmlType t : QuantizeBenchmark.TYPES) {
                ByteBuffer q = Quantizers.quantize(x, ReferenceInputs.ROWS, ReferenceInputs.ROW_LEN, t, 1);
                byte[] b = new byte[q.remaining()];
                q.get(b);
                sb.append(family).append(' ').append(t).append(' ')
                        .append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b))).append('\n');
            }
        }
        return sb.toString();
    }

    @Test
    void withoutTheModuleTheScalarCodeWritesTheSameBytes() throws Exception {
        assertTrue(Simd.ENABLED, "this JVM should have jdk.incubator.vector (surefire's argLine)");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"), SimdFallbackTest.class.getName())
                .redirectErrorStream(true).start();
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        } catch (IOException e) {
            p.destroyForcibly();
            throw e;
        }
        assertEquals(0, p.exitValue(), "child JVM failed:\n" + out);
        assertEquals("simd=false\n" + digests(), out.replace("\r\n", "\n"));
    }
}
