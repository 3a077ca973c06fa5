package io.lora4j.core.gguf;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.Float16;
import io.lora4j.core.ggml.GgmlType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** GgufWriter → GgufFile round trips: every value type, random tensors of every type, the layout rules of REFERENCE A.3. */
class GgufRoundTripTest {
    @TempDir
    Path tmp;

    static Map<String, GgufValue> everyValueType(SplittableRandom r) {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("u8.min", GgufValue.uint8(0));
        m.put("u8.max", GgufValue.uint8(255));
        m.put("i8", GgufValue.int8(-128));
        m.put("u16", GgufValue.uint16(65535));
        m.put("i16", GgufValue.int16(-32768));
        m.put("u32", GgufValue.uint32(0xFFFF_FFFFL));
        m.put("i32", GgufValue.int32(Integer.MIN_VALUE));
        m.put("u64", GgufValue.uint64(-1L)); // 2^64 - 1 as raw bits
        m.put("i64", GgufValue.int64(Long.MIN_VALUE));
        m.put("f32", GgufValue.float32(-1.5e-30f));
        m.put("f64", GgufValue.float64(Math.PI));
        m.put("bool.true", GgufValue.bool(true));
        m.put("bool.false", GgufValue.bool(false));
        m.put("str", GgufValue.string("héllo ▁ 你好 \uD83D\uDE00"));
        m.put("str.empty", GgufValue.string(""));
        int n = 1 + r.nextInt(40);
        m.put("a.u8", GgufValue.uint8Array(r.ints(n, 0, 256).toArray()));
        m.put("a.i8", GgufValue.int8Array(r.ints(n, -128, 128).toArray()));
        m.put("a.u16", GgufValue.uint16Array(r.ints(n, 0, 65536).toArray()));
        m.put("a.i16", GgufValue.int16Array(r.ints(n, -32768, 32768).toArray()));
        m.put("a.u32", GgufValue.uint32Array(r.longs(n, 0, 1L << 32).toArray()));
        m.put("a.i32", GgufValue.int32Array(r.ints(n).toArray()));
        m.put("a.u64", GgufValue.uint64Array(r.longs(n).toArray()));
        m.put("a.i64", GgufValue.int64Array(r.longs(n).toArray()));
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = Float.intBitsToFloat(r.nextInt());
        m.put("a.f32", GgufValue.float32Array(f));
        m.put("a.f64", GgufValue.float64Array(r.doubles(n).toArray()));
        boolean[] bs = new boolean[n];
        for (int i = 0; i < n; i++) bs[i] = r.nextBoolean();
        m.put("a.bool", GgufValue.boolArray(bs));
        String[] ss = new String[n];
        for (int i = 0; i < n; i++) ss[i] = i % 5 == 0 ? "" : "tok" + r.nextInt() + (i % 3 == 0 ? "▁é" : "");
        m.put("a.str", GgufValue.stringArray(ss));
        m.put("a.empty", GgufValue.int32Array(new int[0]));
        return m;
    }

    record Tensor(String name, long[] ne, GgmlType type, byte[] bytes) {}

    static List<Tensor> randomTensors(SplittableRandom r) {
        List<Tensor> ts = new ArrayList<>();
        GgmlType[] types = GgmlType.values();
        for (int i = 0; i < 24; i++) {
            GgmlType type = types[i % types.length];
            int dims = 1 + r.nextInt(4);
            long[] ne = new long[dims];
            ne[0] = (long) type.blockSize * (1 + r.nextInt(3));
            for (int d = 1; d < dims; d++) ne[d] = 1 + r.nextInt(3);
            if (i == 7) ne[dims - 1] = 0; // an empty tensor takes no bytes and no padding
            long bytes = type.rowBytes(ne[0]);
            for (int d = 1; d < dims; d++) bytes *= ne[d];
            byte[] data = new byte[(int) bytes];
            r.nextBytes(data);
            ts.add(new Tensor("t" + i + "." + type.name().toLowerCase(), ne, type, data));
        }
        return ts;
    }

    static GgufWriter writer(Map<String, GgufValue> kv, List<Tensor> ts, int alignment) {
        GgufWriter w = new GgufWriter().alignment(alignment);
        kv.forEach(w::put);
        for (Tensor t : ts) w.addTensor(t.name(), t.ne(), t.type(), ByteBuffer.wrap(t.bytes()));
        return w;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 32, 64, 4096})
    void randomFilesRoundTrip(int alignment) throws Exception {
        SplittableRandom r = new SplittableRandom(alignment);
        Map<String, GgufValue> kv = everyValueType(r);
        List<Tensor> ts = randomTensors(r);
        Path p = tmp.resolve("rt.gguf");
        writer(kv, ts, alignment).write(p);
        byte[] file = Files.readAllBytes(p);

        ByteArrayOutputStream mem = new ByteArrayOutputStream();
        writer(kv, ts, alignment).write(Channels.newChannel(mem));
        assertArrayEquals(file, mem.toByteArray(), "the channel sink writes the same bytes as the file sink");

        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(3, f.version());
            assertEquals(alignment, f.alignment());
            Map<String, GgufValue> expected = new LinkedHashMap<>();
            if (alignment != 32) expected.put("general.alignment", GgufValue.uint32(alignment));
            expected.putAll(kv);
            assertEquals(List.copyOf(expected.keySet()), List.copyOf(f.metadata().keys()), "key order is kept");
            for (var e : expected.entrySet()) assertEquals(e.getValue(), f.metadata().get(e.getKey()).orElseThrow(), e.getKey());

            assertEquals(0, f.dataStart() % alignment);
            assertEquals(ts.size(), f.tensors().size());
            long expectedOffset = 0;
            for (int i = 0; i < ts.size(); i++) {
                Tensor t = ts.get(i);
                GgufTensorInfo info = f.tensors().get(i);
                assertEquals(t.name(), info.name());
                assertArrayEquals(t.ne(), info.ne());
                assertEquals(t.type(), info.type());
                assertEquals(expectedOffset, info.offset(), t.name());
                ByteBuffer b = f.tensorBytes(info);
                byte[] got = new byte[b.remaining()];
                b.get(got);
                assertArrayEquals(t.bytes(), got, t.name());
                long padded = (t.bytes().length + alignment - 1) / alignment * alignment;
                for (long k = f.dataStart() + info.offset() + t.bytes().length; k < f.dataStart() + info.offset() + padded; k++) {
                    assertEquals(0, file[(int) k], "padding byte " + k + " after " + t.name());
                }
                expectedOffset += padded;
            }
            assertEquals(f.dataStart() + expectedOffset, file.length, "every tensor is padded, the last one included");
        }
    }

    @Test
    void readFloatsInSmallChunksEqualsOneRead() throws Exception {
        SplittableRandom r = new SplittableRandom(7);
        float[] values = new float[1000];
        short[] halves = new short[values.length];
        ByteBuffer f16 = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
            halves[i] = Float16.floatToHalf(values[i]);
            f16.putShort(halves[i]);
        }
        f16.flip();
        byte[] q8 = new byte[34 * 8];
        for (int b = 0; b < 8; b++) {
            ByteBuffer.wrap(q8, 34 * b, 2).order(ByteOrder.LITTLE_ENDIAN).putShort(Float16.floatToHalf(0.01f * (b + 1)));
            for (int j = 2; j < 34; j++) q8[34 * b + j] = (byte) r.nextInt(256);
        }
        Path p = tmp.resolve("chunks.gguf");
        new GgufWriter().addTensor("h", new long[] {10, 100}, GgmlType.F16, f16)
                .addTensor("q", new long[] {64, 4}, GgmlType.Q8_0, ByteBuffer.wrap(q8))
                .addTensor("f", new long[] {1000}, values)
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            GgufTensorInfo h = f.tensor("h").orElseThrow(), q = f.tensor("q").orElseThrow();
            float[] whole = f.readFloats(h);
            for (int i = 0; i < values.length; i++) assertEquals(Float16.halfToFloat(halves[i]), whole[i], 0f);
            assertArrayEquals(whole, f.readFloats(h, 6), "3 halves per chunk");
            assertArrayEquals(whole, f.readFloats(h, 1), "chunks never split a value");
            float[] q8whole = f.readFloats(q);
            for (int b = 0; b < 8; b++) {
                float d = Float16.halfToFloat(Float16.floatToHalf(0.01f * (b + 1)));
                for (int j = 0; j < 32; j++) assertEquals(d * q8[34 * b + 2 + j], q8whole[32 * b + j], 0f);
            }
            assertArrayEquals(q8whole, f.readFloats(q, 34), "one block per chunk");
            assertArrayEquals(q8whole, f.readFloats(q, 100), "two blocks per chunk");
            assertArrayEquals(values, f.readFloats("f"));
        }
    }

    @Test
    void alignmentIsRecordedAsUint32Key() throws Exception {
        Path p = tmp.resolve("a.gguf");
        new GgufWriter().put("general.architecture", GgufValue.string("llama")).put("general.alignment", GgufValue.uint32(32))
                .alignment(128).addTensor("x", new long[] {3}, new float[] {1, 2, 3}).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(128, f.alignment());
            assertEquals(List.of("general.architecture", "general.alignment"), List.copyOf(f.metadata().keys()), "replaced in place");
            assertEquals(128, f.metadata().getUInt32("general.alignment"));
            assertEquals(0, Files.size(p) % 128);
        }
        Path d = tmp.resolve("d.gguf");
        new GgufWriter().alignment(32).addTensor("x", new long[] {3}, new float[] {1, 2, 3}).write(d);
        try (GgufFile f = GgufFile.open(d)) {
            assertFalse(f.metadata().contains("general.alignment"), "the default is not written on its own");
        }
    }

    @Test
    void writerRejectsWhatGgmlWouldNotRead() {
        ByteBuffer four = ByteBuffer.allocate(16);
        List<Runnable> bad = List.of(
                () -> new GgufWriter().put("k", GgufValue.int32(1)).put("k", GgufValue.int32(2)),
                () -> new GgufWriter().put("", GgufValue.int32(1)),
                () -> new GgufWriter().put("general.alignment", GgufValue.int32(64)),
                () -> new GgufWriter().put("general.alignment", GgufValue.uint32(48)),
                () -> new GgufWriter().alignment(0),
                () -> new GgufWriter().alignment(1 << 21),
                () -> new GgufWriter().addTensor("a", new long[] {4}, new float[4]).addTensor("a", new long[] {4}, new float[4]),
                () -> new GgufWriter().addTensor("x".repeat(64), new long[] {4}, new float[4]),
                () -> new GgufWriter().addTensor("a", new long[] {5}, GgmlType.F32, four),
                () -> new GgufWriter().addTensor("a", new long[] {4}, GgmlType.Q8_0, four),
                () -> new GgufWriter().addTensor("a", new long[] {1, 1, 1, 1, 4}, GgmlType.F32, four),
                () -> new GgufWriter().addTensor("a", new long[] {4, -1}, GgmlType.F32, four));
        for (int i = 0; i < bad.size(); i++) assertThrows(IllegalArgumentException.class, bad.get(i)::run, "case " + i);
        assertThrows(IllegalStateException.class, () -> new GgufWriter().addTensor("a", new long[] {4}, new float[4]).alignment(64));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufValueType.ARRAY, GgufValueType.ARRAY, new int[0]));
    }

    @Test
    void aFailedWriteLeavesNoFileUnderTheFinalName() throws Exception {
        Path p = tmp.resolve("model.gguf");
        GgufWriter failing = new GgufWriter().addTensor("ok", new long[] {4}, new float[4])
                .addTensor("boom", new long[] {4}, GgmlType.F32, () -> { throw new IOException("disk on fire"); });
        assertThrows(IOException.class, () -> failing.write(p));
        assertFalse(Files.exists(p));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(0, s.count(), "the temporary file is removed");
        }
        new GgufWriter().addTensor("old", new long[] {4}, new float[] {1, 2, 3, 4}).write(p);
        byte[] before = Files.readAllBytes(p);
        GgufWriter wrongSize = new GgufWriter().addTensor("short", new long[] {4}, GgmlType.F32, () -> ByteBuffer.allocate(12));
        IOException e = assertThrows(IOException.class, () -> wrongSize.write(p));
        assertTrue(e.getMessage().contains("'short' produced 12 bytes, expected 16"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(p), "an existing file is untouched");
    }

    @Test
    void tensorInfosOfAnotherFileAreRefused() throws Exception {
        Path a = tmp.resolve("a.gguf"), b = tmp.resolve("b.gguf");
        new GgufWriter().addTensor("x", new long[] {4}, new float[4]).write(a);
        new GgufWriter().addTensor("y", new long[] {4}, new float[4]).addTensor("x", new long[] {4}, new float[4]).write(b);
        try (GgufFile fa = GgufFile.open(a); GgufFile fb = GgufFile.open(b)) {
            GgufTensorInfo xb = fb.tensor("x").orElseThrow();
            assertThrows(IllegalArgumentException.class, () -> fa.readFloats(xb));
            assertThrows(IllegalArgumentException.class, () -> fa.tensorBytes(xb));
        }
    }
}
