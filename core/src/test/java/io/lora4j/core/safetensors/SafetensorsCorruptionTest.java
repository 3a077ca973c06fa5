package io.lora4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Broken safetensors files: each fails with a SafetensorsFormatException naming the file, the tensor or offset, and what was expected. */
class SafetensorsCorruptionTest {
    @TempDir
    static Path tmp;

    static final String T = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    /** A file from raw header text (not padded) and {@code dataBytes} zero bytes of data. */
    static byte[] file(String json, int dataBytes) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }

    static byte[] patch(byte[] b, int at, int value) {
        b[at] = (byte) value;
        return b;
    }

    static byte[] withLength(long headerLength, int totalBytes) {
        return ByteBuffer.allocate(totalBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).array();
    }

    enum Corruption {
        SHORTER_THAN_LENGTH(new byte[5], "5 bytes, too short for the 8-byte header length"),
        HEADER_LENGTH_PAST_EOF(withLength(1000, 64), "at offset 0: header length 1000 runs past the end of the file (56 bytes follow"),
        HEADER_OVER_100_MB(withLength(100_000_001, 64), "at offset 0: header length 100000001 exceeds the limit of 100000000"),
        HEADER_LENGTH_2_POW_63(withLength(Long.MIN_VALUE, 64), "header length 9223372036854775808 exceeds the limit"),
        NOT_JSON(file("{not json}", 0), "header at offset 8 is not valid JSON"),
        NOT_AN_OBJECT(file("[1, 2]", 0), "at offset 8: the header must be a JSON object"),
        TRAILING_GARBAGE(file("{\"t\":" + T + "} x", 8), "not valid JSON"),
        INVALID_UTF8(patch(file("{\"tX\":" + T + "}", 8), 8 + 3, 0xFF), "not valid JSON"),
        DUPLICATE_TENSOR(file("{\"t\":" + T + ",\"t\":" + T + "}", 8), "Duplicate field 't'"),
        UNKNOWN_DTYPE(file("{\"t\":{\"dtype\":\"F99\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "tensor 't' has unknown dtype \"F99\", expected one of"),
        DTYPE_NOT_A_STRING(file("{\"t\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "tensor 't' has unknown dtype 4"),
        TENSOR_NOT_AN_OBJECT(file("{\"t\":5}", 0), "tensor 't' is NUMBER, expected an object"),
        SHAPE_MISSING(file("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8), "tensor 't' has shape , expected an array"),
        SHAPE_NEGATIVE(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "shape [-2], expected an array of non-negative integers"),
        SHAPE_FRACTION(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8), "shape [2.5], expected"),
        SHAPE_STRING(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8), "shape [\"2\"], expected"),
        SHAPE_BEYOND_LONG(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8), "expected an array of non-negative integers"),
        SHAPE_OVERFLOW(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8), "more bytes than fit in 64 bits"),
        THREE_OFFSETS(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", 8), "data_offsets [0,8,8], expected an array of 2"),
        END_BEFORE_BEGIN(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8), "data_offsets [8, 0], expected begin <= end"),
        SIZE_NOT_SHAPE_TIMES_DTYPE(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 12), "holding 12 bytes, but shape [2] of F32 needs 8"),
        FIRST_NOT_AT_ZERO(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "tensor 't' starts at data offset 4, expected 0"),
        OVERLAP(file("{\"a\":" + T + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "tensor 'b' starts at data offset 4, expected 8"),
        GAP(file("{\"a\":" + T + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", 20), "tensor 'b' starts at data offset 12, expected 8"),
        OUT_OF_BOUNDS(file("{\"t\":" + T + "}", 4), "tensors end at data offset 8, but 4 data bytes follow the header (truncated file?)"),
        HUGE_CLAIM(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1000000000000],\"data_offsets\":[0,4000000000000]}}", 8), "tensors end at data offset 4000000000000"),
        TRAILING_DATA(file("{\"t\":" + T + "}", 12), "(trailing bytes no tensor covers)"),
        METADATA_NOT_STRING(file("{\"__metadata__\":{\"k\":5}}", 0), "__metadata__ key 'k' is NUMBER, expected a string"),
        METADATA_NOT_OBJECT(file("{\"__metadata__\":[\"k\"]}", 0), "__metadata__ is ARRAY, expected an object of strings");

        final byte[] bytes;
        final String expected;

        Corruption(byte[] bytes, String expected) {
            this.bytes = bytes;
            this.expected = expected;
        }
    }

    @ParameterizedTest
    @EnumSource(Corruption.class)
    void brokenFilesFailNamingTheProblem(Corruption c) throws Exception {
        Path f = tmp.resolve(c.name() + ".safetensors");
        Files.write(f, c.bytes);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(f).close());
        assertTrue(e.getMessage().startsWith(f + ": "), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(c.expected), c + ": " + e.getMessage());
    }

    @Test
    void validEdgeCasesOpen() throws Exception {
        // zero-size tensors may share an offset with the next one and appear in any JSON order; padding spaces are fine
        Path f = tmp.resolve("edge.safetensors");
        Files.write(f, file("{\"b\":" + T + ",\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]}}   ", 12));
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(3, s.tensors().size());
            assertEquals("a", s.tensors().get(0).name(), "data order");
            assertEquals(0, s.tensor("s").orElseThrow().shape().length);
            assertArrayEquals(new float[] {0f}, s.readFloats("s"));
        }
    }

    @Test
    void truncationAtEveryOffsetFailsCleanly() throws Exception {
        Path full = tmp.resolve("full.safetensors");
        new SafetensorsWriter().metadata("format", "pt").putF32("a", new long[] {3}, new float[] {1, 2, 3})
                .putF32("b", new long[] {2, 2}, new float[] {4, 5, 6, 7}).write(full);
        byte[] good = Files.readAllBytes(full);
        for (int n = 0; n < good.length; n++) {
            Path p = tmp.resolve("cut.safetensors");
            Files.write(p, Arrays.copyOf(good, n));
            int cut = n;
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(p).close(), "cut at " + n);
            assertTrue(e.getMessage().startsWith(p + ": "), "cut at " + cut + ": " + e.getMessage());
        }
    }
}
