package io.lora4j.core.gguf;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Typed getters: strict like llama.cpp, errors name the source, key and both types; values are range-checked and immutable. */
class GgufMetadataTest {

    static GgufMetadata metadata() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("u8", GgufValue.uint8(200));
        m.put("i16", GgufValue.int16(-3));
        m.put("u32", GgufValue.uint32(4_000_000_000L));
        m.put("i32", GgufValue.int32(-7));
        m.put("u64.big", GgufValue.uint64(-1L));
        m.put("i64", GgufValue.int64(1L << 40));
        m.put("f32", GgufValue.float32(0.5f));
        m.put("s", GgufValue.string("x"));
        m.put("tokens", GgufValue.stringArray(new String[] {"a", "b"}));
        m.put("types", GgufValue.int32Array(new int[] {1, 6}));
        m.put("ids", GgufValue.uint32Array(new int[] {3, 4}));
        m.put("bytes", GgufValue.uint8Array(new int[] {0, 255}));
        return new GgufMetadata("model.gguf", m);
    }

    @Test
    void strictGettersReturnTheStoredValue() throws Exception {
        GgufMetadata m = metadata();
        assertEquals(4_000_000_000L, m.getUInt32("u32"));
        assertEquals(-7, m.getInt32("i32"));
        assertEquals(0.5f, m.getFloat32("f32"));
        assertEquals("x", m.getString("s"));
        assertArrayEquals(new String[] {"a", "b"}, m.getStringArray("tokens"));
        assertArrayEquals(new int[] {1, 6}, m.getInt32Array("types"));
        assertEquals(List.of("u8", "i16", "u32", "i32", "u64.big", "i64", "f32", "s", "tokens", "types", "ids", "bytes"), List.copyOf(m.keys()));
    }

    @Test
    void wrongTypeAndMissingKeysNameSourceKeyAndTypes() {
        GgufMetadata m = metadata();
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> m.getUInt32("i32"));
        assertEquals("model.gguf: metadata key 'i32' has type INT32, expected UINT32", e.getMessage());
        e = assertThrows(GgufFormatException.class, () -> m.getStringArray("types"));
        assertEquals("model.gguf: metadata key 'types' has type ARRAY<INT32>, expected ARRAY<STRING>", e.getMessage());
        e = assertThrows(GgufFormatException.class, () -> m.getFloat32("nope"));
        assertEquals("model.gguf: metadata key 'nope' is missing (expected FLOAT32)", e.getMessage());
        e = assertThrows(GgufFormatException.class, () -> m.getInteger("f32"));
        assertTrue(e.getMessage().contains("'f32' has type FLOAT32, expected an integer"), e.getMessage());
        e = assertThrows(GgufFormatException.class, () -> m.getInteger("u64.big"));
        assertTrue(e.getMessage().contains("18446744073709551615"), e.getMessage());
        assertThrows(GgufFormatException.class, () -> m.getUInt32("i32", 5), "a fallback is for missing keys, not mistyped ones");
    }

    @Test
    void lenientIntegerGettersAcceptAnyIntegerType() throws Exception {
        GgufMetadata m = metadata();
        assertEquals(200, m.getInteger("u8"));
        assertEquals(-3, m.getInteger("i16"));
        assertEquals(4_000_000_000L, m.getInteger("u32"));
        assertEquals(1L << 40, m.getInteger("i64"));
        assertEquals(9, m.getInteger("missing", 9));
        assertArrayEquals(new long[] {3, 4}, m.getIntegerArray("ids"));
        assertArrayEquals(new long[] {0, 255}, m.getIntegerArray("bytes"));
        assertArrayEquals(new long[] {1, 6}, m.getIntegerArray("types"));
        assertThrows(GgufFormatException.class, () -> m.getIntegerArray("tokens"));
    }

    @Test
    void valuesAreImmutable() throws Exception {
        int[] src = {1, 2};
        GgufValue v = GgufValue.int32Array(src);
        src[0] = 99;
        ((int[]) v.value())[1] = 99;
        assertArrayEquals(new int[] {1, 2}, (int[]) v.value());
        GgufMetadata m = metadata();
        m.getStringArray("tokens")[0] = "changed";
        assertEquals("a", m.getStringArray("tokens")[0]);
        assertThrows(UnsupportedOperationException.class, () -> m.asMap().put("k", GgufValue.int32(1)));
    }

    @Test
    void valuesOutsideTheirTypeAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint8(256));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.int8(128));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint16(-1));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint32(1L << 32));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint32(-1));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint32Array(new int[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.int16Array(new int[] {40000}));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufValueType.UINT32, null, 5));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufValueType.ARRAY, GgufValueType.FLOAT32, new double[1]));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufValueType.INT32, GgufValueType.INT32, 5));
        assertThrows(NullPointerException.class, () -> GgufValue.stringArray(new String[] {"a", null}));
    }
}
