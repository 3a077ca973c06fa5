package io.lora4j.core.gguf;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Hostile and broken GGUF files: each must fail with a message naming the file and what was wrong, never OOM. */
class GgufCorruptionTest {
    @TempDir
    static Path tmp;
    static byte[] good;
    // offsets inside the good file, found while building it
    static int tensorCountAt = 8, kvCountAt = 16, firstKeyLenAt = 24;

    @BeforeAll
    static void buildGoodFile() throws Exception {
        Path p = tmp.resolve("good.gguf");
        new GgufWriter()
                .put("general.architecture", GgufValue.string("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.stringArray(new String[] {"a", "b"}))
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

    /** Offset of a one-letter tensor's info record (u64 name length 1, then the name). */
    static int info(byte[] b, String oneLetterName) {
        return find(b, "\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0000" + oneLetterName);
    }

    enum Corruption {
        WRONG_MAGIC(b -> patchU32(b, 0, 0x12345678), "not a GGUF file"),
        VERSION_1(b -> patchU32(b, 4, 1), "version 1"),
        VERSION_9(b -> patchU32(b, 4, 9), "version 9"),
        BIG_ENDIAN(b -> patchU32(b, 4, 0x03000000), "big-endian"),
        HUGE_TENSOR_COUNT(b -> patchU64(b, tensorCountAt, 1L << 40), "tensor count"),
        HUGE_KV_COUNT(b -> patchU64(b, kvCountAt, 1L << 40), "metadata count"),
        KEY_LENGTH_PAST_EOF(b -> patchU64(b, firstKeyLenAt, 60000), "past the end"),
        KEY_LENGTH_ABOVE_LIMIT(b -> patchU64(b, firstKeyLenAt, 1L << 40), "exceeds the limit"),
        ARRAY_COUNT_2_POW_40(b -> patchU64(b, find(b, "tokenizer.ggml.tokens") + "tokenizer.ggml.tokens".length() + 8, 1L << 40), "cannot fit"),
        NESTED_ARRAY(b -> patchU32(b, find(b, "tokenizer.ggml.tokens") + "tokenizer.ggml.tokens".length() + 4, 9), "nested array"),
        UNKNOWN_VALUE_TYPE(b -> patchU32(b, find(b, "general.architecture") + "general.architecture".length(), 77), "unknown value type"),
        TENSOR_10_POW_12_ELEMENTS(b -> patchU64(b, info(b, "w") + 13, 1_000_000_000_000L), "more than the whole file"),
        UNKNOWN_GGML_TYPE(b -> patchU32(b, info(b, "w") + 29, 99), "ggml type id 99"),
        ROW_NOT_MULTIPLE_OF_BLOCK(b -> patchU32(b, info(b, "w") + 29, GgmlType.Q4_0.id), "block size"),
        MISALIGNED_OFFSET(b -> patchU64(b, info(b, "v") + 25, 33), "expected 32"),
        DUPLICATE_TENSOR_NAME(b -> { byte[] c = b.clone(); c[info(b, "v") + 8] = 'w'; return c; }, "duplicate tensor name"),
        DUPLICATE_KEY(b -> { byte[] c = b.clone(); System.arraycopy("key.one".getBytes(), 0, c, find(b, "key.two"), 7); return c; }, "duplicate metadata key 'key.one'"),
        TRUNCATED_DATA(b -> java.util.Arrays.copyOf(b, b.length - 20), "truncated"),
        TRUNCATED_HEADER(b -> java.util.Arrays.copyOf(b, 60), "bytes left"),
        EMPTY(b -> new byte[0], "too short");

        final UnaryOperator<byte[]> corrupt;
        final String expected;

        Corruption(UnaryOperator<byte[]> corrupt, String expected) {
            this.corrupt = corrupt;
            this.expected = expected;
        }
    }

    @ParameterizedTest
    @EnumSource(Corruption.class)
    void corruptFilesFailWithAClearMessage(Corruption c) throws Exception {
        Path p = tmp.resolve(c.name() + ".gguf");
        Files.write(p, c.corrupt.apply(good));
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().contains(p.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().toLowerCase().contains(c.expected.toLowerCase()), c + ": " + e.getMessage());
    }

    @Test
    void truncationAtEveryOffsetFailsCleanly() throws Exception {
        for (int n = 0; n < good.length; n += 7) {
            Path p = tmp.resolve("trunc" + n + ".gguf");
            Files.write(p, java.util.Arrays.copyOf(good, n));
            assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close(), "truncated at " + n);
        }
    }

    @Test
    void roundTripsEveryValueType() throws Exception {
        Path p = tmp.resolve("types.gguf");
        GgufWriter w = new GgufWriter()
                .put("u8", GgufValue.uint8(250)).put("i8", GgufValue.int8(-5)).put("u16", GgufValue.uint16(65000)).put("i16", GgufValue.int16(-300))
                .put("u32", GgufValue.uint32(4_000_000_000L)).put("i32", GgufValue.int32(-7)).put("f32", GgufValue.float32(1.5f))
                .put("bool", GgufValue.bool(true)).put("str", GgufValue.string("héllo ▁ 你好")).put("u64", GgufValue.uint64(1L << 40))
                .put("i64", GgufValue.int64(-(1L << 40))).put("f64", GgufValue.float64(Math.PI))
                .put("astr", GgufValue.stringArray(new String[] {"x", "", "yz"})).put("af32", GgufValue.float32Array(new float[] {1, -2}))
                .put("ai32", GgufValue.int32Array(new int[] {3, -4})).put("au32", GgufValue.uint32Array(new long[] {5, 4_000_000_000L}))
                .put("general.alignment", GgufValue.uint32(64));
        w.addTensor("t", new long[] {3}, new float[] {1, 2, 3});
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            GgufMetadata m = f.metadata();
            assertEquals(17, m.keys().size());
            assertEquals(250, m.get("u8").get().value());
            assertEquals(-5, m.get("i8").get().value());
            assertEquals(65000, m.get("u16").get().value());
            assertEquals(-300, m.get("i16").get().value());
            assertEquals(4_000_000_000L, m.getUInt32("u32"));
            assertEquals(-7, m.getInt32("i32"));
            assertEquals(1.5f, m.getFloat32("f32"));
            assertTrue(m.getBool("bool"));
            assertEquals("héllo ▁ 你好", m.getString("str"));
            assertEquals(1L << 40, m.getInteger("u64"));
            assertEquals(-(1L << 40), m.getInteger("i64"));
            assertEquals(Math.PI, (Double) m.get("f64").get().value());
            assertArrayEquals(new String[] {"x", "", "yz"}, m.getStringArray("astr"));
            assertArrayEquals(new float[] {1, -2}, m.getFloat32Array("af32"));
            assertArrayEquals(new int[] {3, -4}, m.getInt32Array("ai32"));
            assertArrayEquals(new long[] {5, 4_000_000_000L}, m.getIntegerArray("au32"));
            assertEquals(64, f.alignment());
            assertEquals(0, f.dataStart() % 64);
            assertArrayEquals(new float[] {1, 2, 3}, f.readFloats("t"));
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> m.getString("u32"));
            assertTrue(e.getMessage().contains("'u32'") && e.getMessage().contains("UINT32"), e.getMessage());
        }
        assertEquals(0, Files.size(p) % 64, "the last tensor is padded too");
    }
}
