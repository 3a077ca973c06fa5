package io.lora4j.core.gguf;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hostile and broken GGUF files (after ggml's test-gguf.cpp): each must fail with a GgufFormatException whose message
 * names the file, where the problem is (byte offset or key) and what was expected; never OOM or another exception.
 */
class GgufCorruptionTest {
    @TempDir
    static Path tmp;
    static byte[] good;

    static final String ARCH = "general.architecture", ALIGN = "general.alignment", TOKENS = "tokenizer.ggml.tokens";

    /**
     * Header: magic 0, version 4, tensor count 8, KV count 16, first key at 24. KV records: key string (8 + n),
     * u32 type, value. Tensor info "w" (2 dims) at info(w): name +8, n_dims +9, ne +13/+21, type +29, offset +33;
     * "v" (1 dim): ne +13, type +21, offset +25. Data: w (32 bytes) at 0, v (16 bytes + 16 padding) at 32.
     */
    @BeforeAll
    static void buildGoodFile() throws Exception {
        Path p = tmp.resolve("good.gguf");
        new GgufWriter()
                .put(ARCH, GgufValue.string("llama"))
                .put(ALIGN, GgufValue.uint32(32))
                .put(TOKENS, GgufValue.stringArray(new String[] {"a", "b"}))
                .put("key.one", GgufValue.uint32(1))
                .put("key.two", GgufValue.uint32(2))
                .addTensor("w", new long[] {4, 2}, new float[] {1, 2, 3, 4, 5, 6, 7, 8})
                .addTensor("v", new long[] {4}, new float[] {1, 2, 3, 4})
                .write(p);
        good = Files.readAllBytes(p);
    }

    static byte[] patchU64(byte[] src, int at, long v) {
        byte[] b = src.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
        return b;
    }

    static byte[] patchU32(byte[] src, int at, int v) {
        byte[] b = src.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        return b;
    }

    /** Offset of the first occurrence of an ASCII string in the file. */
    static int find(byte[] b, String s) {
        outer:
        for (int i = 0; i + s.length() <= b.length; i++) {
            for (int j = 0; j < s.length(); j++) if (b[i + j] != s.charAt(j)) continue outer;
            return i;
        }
        throw new IllegalStateException(s);
    }

    /** Offset just after a key's bytes, where its u32 value type starts. */
    static int afterKey(byte[] b, String key) {
        return find(b, key) + key.length();
    }

    /** Offset of a one-letter tensor's info record (u64 name length 1, then the name). */
    static int info(byte[] b, String oneLetterName) {
        return find(b, "\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0000" + oneLetterName);
    }

    static Function<byte[], String> at(Function<byte[], Integer> offset) {
        return b -> "at offset " + offset.apply(b) + ":";
    }

    static Function<byte[], String> names(String s) {
        return b -> s;
    }

    enum Corruption {
        EMPTY(b -> new byte[0], names("0 bytes"), "too short"),
        WRONG_MAGIC(b -> patchU32(b, 0, 0x12345678), at(b -> 0), "expected 'GGUF'"),
        VERSION_0(b -> patchU32(b, 4, 0), at(b -> 4), "expected 2 or 3"),
        VERSION_1(b -> patchU32(b, 4, 1), at(b -> 4), "v1 is obsolete"),
        VERSION_9(b -> patchU32(b, 4, 9), at(b -> 4), "version 9 is not supported, expected 2 or 3"),
        BIG_ENDIAN(b -> patchU32(b, 4, 0x03000000), at(b -> 4), "big-endian"),
        HUGE_TENSOR_COUNT(b -> patchU64(b, 8, 1L << 40), at(b -> 8), "tensor count 1099511627776 cannot fit"),
        NEGATIVE_TENSOR_COUNT(b -> patchU64(b, 8, -1), at(b -> 8), "tensor count 18446744073709551615 cannot fit"),
        HUGE_KV_COUNT(b -> patchU64(b, 16, 1L << 40), at(b -> 16), "metadata count 1099511627776 cannot fit"),
        EMPTY_KEY(b -> patchU64(b, 24, 0), at(b -> 24), "empty key"),
        KEY_LENGTH_PAST_EOF(b -> patchU64(b, 24, 60000), at(b -> 24), "runs past the end of the file"),
        KEY_LENGTH_ABOVE_LIMIT(b -> patchU64(b, 24, 1L << 40), at(b -> 24), "exceeds the limit of 65535 bytes"),
        STRING_LENGTH_PAST_EOF(b -> patchU64(b, afterKey(b, ARCH) + 4, 1 << 29), at(b -> afterKey(b, ARCH) + 4), "value of 'general.architecture' of 536870912 bytes runs past the end"),
        STRING_LENGTH_ABOVE_1GIB(b -> patchU64(b, afterKey(b, ARCH) + 4, (1L << 30) + 1), at(b -> afterKey(b, ARCH) + 4), "exceeds the limit of 1073741824"),
        INVALID_UTF8(b -> { byte[] c = b.clone(); c[afterKey(b, ARCH) + 12] = (byte) 0xFF; return c; }, at(b -> afterKey(b, ARCH) + 4), "not valid UTF-8"),
        UNKNOWN_VALUE_TYPE(b -> patchU32(b, afterKey(b, ARCH), 77), at(b -> afterKey(b, ARCH)), "'general.architecture' has unknown value type 77"),
        ARRAY_COUNT_2_POW_40(b -> patchU64(b, afterKey(b, TOKENS) + 8, 1L << 40), at(b -> afterKey(b, TOKENS) + 8), "'tokenizer.ggml.tokens' claims 1099511627776 elements"),
        ARRAY_COUNT_PAST_EOF(b -> patchU64(b, afterKey(b, TOKENS) + 8, 1 << 20), at(b -> afterKey(b, TOKENS) + 8), "claims 1048576 elements of STRING"),
        NESTED_ARRAY(b -> patchU32(b, afterKey(b, TOKENS) + 4, 9), at(b -> afterKey(b, TOKENS) + 4), "nested array"),
        UNKNOWN_ELEMENT_TYPE(b -> patchU32(b, afterKey(b, TOKENS) + 4, 13), at(b -> afterKey(b, TOKENS) + 4), "unknown array element type 13"),
        DUPLICATE_KEY(b -> { byte[] c = b.clone(); System.arraycopy("key.one".getBytes(), 0, c, find(b, "key.two"), 7); return c; },
                at(b -> find(b, "key.two") - 8), "duplicate metadata key 'key.one'"),
        ALIGNMENT_WRONG_TYPE(b -> patchU32(b, afterKey(b, ALIGN), GgufValueType.INT32.id), names("'general.alignment'"), "has type INT32, expected UINT32"),
        ALIGNMENT_NOT_POWER_OF_TWO(b -> patchU32(b, afterKey(b, ALIGN) + 4, 48), names("'general.alignment'"), "is 48, expected a power of two"),
        ALIGNMENT_ZERO(b -> patchU32(b, afterKey(b, ALIGN) + 4, 0), names("'general.alignment'"), "is 0, expected a power of two"),
        TENSOR_NAME_64_BYTES(b -> patchU64(b, info(b, "w"), 64), at(b -> info(b, "w")), "name of tensor 0 length 64 exceeds the limit of 63"),
        DUPLICATE_TENSOR_NAME(b -> { byte[] c = b.clone(); c[info(b, "v") + 8] = 'w'; return c; }, at(b -> info(b, "v")), "duplicate tensor name 'w'"),
        FIVE_DIMS(b -> patchU32(b, info(b, "w") + 9, 5), at(b -> info(b, "w") + 9), "tensor 'w' has 5 dimensions, expected at most 4"),
        NEGATIVE_DIM(b -> patchU64(b, info(b, "w") + 21, -2), at(b -> info(b, "w") + 21), "dimension 1 is 18446744073709551614, expected a non-negative"),
        TENSOR_10_POW_12_ELEMENTS(b -> patchU64(b, info(b, "w") + 13, 1_000_000_000_000L), at(b -> info(b, "w")), "needs 8000000000000 bytes, which cannot fit in the file"),
        ELEMENT_COUNT_OVERFLOW(b -> patchU64(patchU64(b, info(b, "w") + 13, 1L << 40), info(b, "w") + 21, 1L << 40), at(b -> info(b, "w")), "more elements or bytes than fit in 64 bits"),
        UNKNOWN_GGML_TYPE(b -> patchU32(b, info(b, "w") + 29, 99), at(b -> info(b, "w") + 29), "tensor 'w' has ggml type id 99"),
        REMOVED_GGML_TYPE(b -> patchU32(b, info(b, "w") + 29, 4), at(b -> info(b, "w") + 29), "ggml type id 4"),
        ROW_NOT_MULTIPLE_OF_BLOCK(b -> patchU32(b, info(b, "w") + 29, GgmlType.Q4_0.id), at(b -> info(b, "w")), "rows of 4 values, expected a multiple of the Q4_0 block size 32"),
        MISALIGNED_OFFSET(b -> patchU64(b, info(b, "v") + 25, 33), at(b -> info(b, "v") + 25), "tensor 'v' has data offset 33, expected 32"),
        OVERLAPPING_OFFSET(b -> patchU64(b, info(b, "v") + 25, 0), at(b -> info(b, "v") + 25), "tensor 'v' has data offset 0, expected 32"),
        GAP_BEFORE_FIRST_TENSOR(b -> patchU64(b, info(b, "w") + 33, 32), at(b -> info(b, "w") + 33), "tensor 'w' has data offset 32, expected 0"),
        TRUNCATED_DATA(b -> Arrays.copyOf(b, b.length - 20), names("from offset "), "truncated file"),
        TRUNCATED_HEADER(b -> Arrays.copyOf(b, afterKey(b, ALIGN) + 6), at(b -> afterKey(b, ALIGN) + 4), "needs 4 bytes (truncated file?)"),
        TRUNCATED_BEFORE_COUNTS(b -> Arrays.copyOf(b, 60), at(b -> 8), "tensor count 2 cannot fit in the 36 bytes left");

        final UnaryOperator<byte[]> corrupt;
        final Function<byte[], String> where;
        final String expected;

        Corruption(UnaryOperator<byte[]> corrupt, Function<byte[], String> where, String expected) {
            this.corrupt = corrupt;
            this.where = where;
            this.expected = expected;
        }
    }

    @ParameterizedTest
    @EnumSource(Corruption.class)
    void corruptFilesFailWithAClearMessage(Corruption c) throws Exception {
        Path p = tmp.resolve(c.name() + ".gguf");
        Files.write(p, c.corrupt.apply(good));
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        String m = e.getMessage();
        assertTrue(m.startsWith(p.toString() + ":"), "names the file: " + m);
        assertTrue(m.contains(c.where.apply(good)), "names where (" + c.where.apply(good) + "): " + m);
        assertTrue(m.contains(c.expected), "says what was expected (" + c.expected + "): " + m);
    }

    @Test
    void theUncorruptedFileOpens() throws Exception {
        Path p = tmp.resolve("ok.gguf");
        Files.write(p, good);
        try (GgufFile f = GgufFile.open(p)) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, f.readFloats("v"));
        }
    }

    /** Every prefix shorter than the last tensor's end fails cleanly; cutting only the last tensor's padding is accepted, as in llama.cpp. */
    @Test
    void truncationAtEveryOffset() throws Exception {
        int lastTensorEnd;
        Path full = tmp.resolve("full.gguf");
        Files.write(full, good);
        try (GgufFile f = GgufFile.open(full)) {
            GgufTensorInfo v = f.tensor("v").orElseThrow();
            lastTensorEnd = (int) (f.dataStart() + v.offset() + v.byteSize());
        }
        assertEquals(good.length - 16, lastTensorEnd, "v is 16 bytes followed by 16 bytes of padding");
        for (int n = 0; n < good.length; n++) {
            Path p = tmp.resolve("trunc.gguf");
            Files.write(p, Arrays.copyOf(good, n));
            if (n < lastTensorEnd) {
                int cut = n;
                GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close(), "truncated at " + n);
                assertTrue(e.getMessage().startsWith(p + ":") && (e.getMessage().contains("offset ") || e.getMessage().contains("too short")),
                        "cut at " + cut + ": " + e.getMessage());
            } else {
                try (GgufFile f = GgufFile.open(p)) {
                    assertArrayEquals(new float[] {1, 2, 3, 4}, f.readFloats("v"));
                }
            }
        }
    }

    /** Random byte flips in the header either still parse or fail with GgufFormatException; nothing else escapes. */
    @Test
    void randomHeaderDamageOnlyEverFailsWithGgufFormatException() throws Exception {
        SplittableRandom rnd = new SplittableRandom(42);
        int headerEnd = info(good, "v") + 33;
        Path p = tmp.resolve("fuzz.gguf");
        int rejected = 0;
        for (int iter = 0; iter < 3000; iter++) {
            byte[] b = good.clone();
            int flips = 1 + rnd.nextInt(3);
            for (int k = 0; k < flips; k++) {
                int at = rnd.nextInt(headerEnd);
                b[at] = rnd.nextBoolean() ? (byte) rnd.nextInt(256) : (byte) (b[at] ^ (1 << rnd.nextInt(8)));
            }
            Files.write(p, b);
            try (GgufFile f = GgufFile.open(p)) {
                for (GgufTensorInfo t : f.tensors()) f.tensorBytes(t);
            } catch (GgufFormatException e) {
                assertTrue(e.getMessage().startsWith(p + ":"), e.getMessage());
                rejected++;
            }
        }
        assertTrue(rejected > 1000, "most random damage is detected, got " + rejected);
    }
}
