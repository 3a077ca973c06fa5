package io.lora4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SafetensorsTest {
    @TempDir
    Path tmp;

    @Test
    void roundTripsF32F16Bf16AndMetadata() throws Exception {
        float[] v = {1.5f, -2.25f, 3.0e-5f, 65504f, 0f, -0f};
        Path p = tmp.resolve("a.safetensors");
        new SafetensorsWriter().metadata("format", "pt")
                .putF32("f32", new long[] {2, 3}, v)
                .putFloats("f16", new long[] {6}, v, SafetensorsDType.F16)
                .putFloats("bf16", new long[] {3, 2}, v, SafetensorsDType.BF16)
                .write(p);
        assertEquals(0, (Files.size(p) - 6 * 4 - 6 * 2 * 2 - 8) % 8, "header padded to 8 bytes");
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals("pt", f.metadata().get("format"));
            assertArrayEquals(v, f.readFloats("f32"));
            assertArrayEquals(new long[] {3, 2}, f.tensor("bf16").orElseThrow().shape());
            float[] h = f.readFloats("f16"), b = f.readFloats("bf16");
            for (int i = 0; i < v.length; i++) {
                assertEquals(v[i], h[i], Math.abs(v[i]) * 1e-3 + 1e-7);
                assertEquals(v[i], b[i], Math.abs(v[i]) * 1e-2 + 1e-7);
            }
        }
    }

    @Test
    void shardedIndexRoundTrip() throws Exception {
        List<ShardedSafetensors.NamedFloats> ts = List.of(
                new ShardedSafetensors.NamedFloats("a", new long[] {100}, new float[100]),
                new ShardedSafetensors.NamedFloats("b", new long[] {10, 10}, new float[100]),
                new ShardedSafetensors.NamedFloats("c", new long[] {50}, new float[50]));
        ts.get(1).values()[42] = 7f;
        ShardedSafetensors.write(tmp, ts, SafetensorsDType.F32, 450);
        assertTrue(Files.exists(tmp.resolve(ShardedSafetensors.INDEX)));
        assertTrue(Files.exists(tmp.resolve("model-00003-of-00003.safetensors")));
        try (ShardedSafetensors s = ShardedSafetensors.open(tmp)) {
            assertEquals(List.of("a", "b", "c"), List.copyOf(s.names()));
            assertEquals(7f, s.readFloats("b")[42]);
        }
    }

    private Path withHeader(String json, int dataBytes) throws Exception {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = tmp.resolve("bad" + json.hashCode() + ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}|12|needs 8",
        "{\"t\":{\"dtype\":\"F99\",\"shape\":[2],\"data_offsets\":[0,8]}}|8|unknown dtype",
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}|4|truncated",
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}|8|expected 0",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}|12|expected 8",
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[1000000000000],\"data_offsets\":[0,4000000000000]}}|8|truncated",
        "{\"__metadata__\":{\"k\":5}}|0|not a string",
        "not json at all|0|not valid JSON",
    })
    void badFilesFailNamingTheProblem(String spec) throws Exception {
        String[] p = spec.split("\\|");
        Path f = withHeader(p[0], Integer.parseInt(p[1]));
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(f).close());
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains(p[2]), e.getMessage());
    }

    @Test
    void headerLengthPastTheEndOfTheFile() throws Exception {
        Path f = tmp.resolve("len.safetensors");
        Files.write(f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(f).close());
        assertTrue(e.getMessage().contains("header length"), e.getMessage());
    }
}
