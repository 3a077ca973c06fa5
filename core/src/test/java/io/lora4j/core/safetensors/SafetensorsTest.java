package io.lora4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.Float16;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SafetensorsWriter → SafetensorsFile round trips: every dtype, float conversion, header layout (REFERENCE D.5). */
class SafetensorsTest {
    @TempDir
    Path tmp;

    @Test
    void everyDtypeRoundTripsBytesShapesAndMetadata() throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        List<String> names = new ArrayList<>();
        List<byte[]> datas = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("note", "héllo ▁");
        for (SafetensorsDType d : SafetensorsDType.values()) {
            long[] shape = d.ordinal() % 3 == 0 ? new long[] {} : new long[] {1 + r.nextInt(3), 1 + r.nextInt(5)};
            long n = 1;
            for (long s : shape) n *= s;
            byte[] data = new byte[(int) n * d.size];
            r.nextBytes(data);
            String name = "model.layers.0." + d.name().toLowerCase() + ".weight";
            w.put(name, d, shape, ByteBuffer.wrap(data));
            names.add(name);
            datas.add(data);
            shapes.add(shape);
        }
        w.put("empty", SafetensorsDType.F32, new long[] {0, 7}, ByteBuffer.allocate(0));
        Path p = tmp.resolve("all.safetensors");
        w.write(p);
        byte[] file = Files.readAllBytes(p);

        ByteArrayOutputStream mem = new ByteArrayOutputStream();
        w.write(Channels.newChannel(mem));
        assertArrayEquals(file, mem.toByteArray(), "the channel sink writes the same bytes as the file sink");

        long headerLength = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, headerLength % 8, "header padded to 8 bytes");
        String header = new String(file, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\""), header);
        String padding = header.substring(header.lastIndexOf('}') + 1);
        assertTrue(padding.length() < 8 && padding.chars().allMatch(c -> c == ' '), "padded with spaces: '" + padding + "'");

        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals("pt", f.metadata().get("format"));
            assertEquals("héllo ▁", f.metadata().get("note"));
            assertEquals(names.size() + 1, f.tensors().size());
            long expectedBegin = 0;
            for (int i = 0; i < names.size(); i++) {
                SafetensorsTensor t = f.tensors().get(i);
                assertEquals(names.get(i), t.name(), "data order is insertion order");
                assertEquals(SafetensorsDType.values()[i], t.dtype());
                assertArrayEquals(shapes.get(i), t.shape());
                assertEquals(expectedBegin, t.begin());
                ByteBuffer b = f.bytes(t);
                byte[] got = new byte[b.remaining()];
                b.get(got);
                assertArrayEquals(datas.get(i), got, t.name());
                expectedBegin = t.end();
            }
            SafetensorsTensor empty = f.tensor("empty").orElseThrow();
            assertEquals(0, empty.byteSize());
            assertEquals(0, f.readFloats("empty").length);
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> f.readFloats(names.get(SafetensorsDType.I32.ordinal())));
            assertTrue(e.getMessage().contains("is I32, expected F32, F16 or BF16"), e.getMessage());
        }
    }

    @Test
    void floatsAreStoredAndReadWithGgmlRounding() throws Exception {
        SplittableRandom r = new SplittableRandom(11);
        float[] v = new float[777];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
        v[0] = 65504f;
        v[1] = -0f;
        v[2] = 1e-8f; // below the smallest half: rounds to 0
        Path p = tmp.resolve("f.safetensors");
        new SafetensorsWriter().putF32("f32", new long[] {7, 111}, v)
                .putFloats("f16", new long[] {777}, v, SafetensorsDType.F16)
                .putFloats("bf16", new long[] {111, 7}, v, SafetensorsDType.BF16)
                .write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertArrayEquals(v, f.readFloats("f32"));
            float[] h = f.readFloats("f16"), b = f.readFloats("bf16");
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float16.halfToFloat(Float16.floatToHalf(v[i])), h[i], 0f, "f16[" + i + "]");
                assertEquals(Float16.bf16ToFloat(Float16.floatToBf16(v[i])), b[i], 0f, "bf16[" + i + "]");
            }
            assertArrayEquals(v, f.readFloats("f32", 12), "3 floats per mapped chunk");
            assertArrayEquals(h, f.readFloats("f16", 2), "1 half per mapped chunk");
            assertArrayEquals(b, f.readFloats("bf16", 1000));
        }
    }

    @Test
    void writerRejectsInconsistentTensors() {
        List<Runnable> bad = List.of(
                () -> new SafetensorsWriter().put("a", SafetensorsDType.F32, new long[] {3}, ByteBuffer.allocate(8)),
                () -> new SafetensorsWriter().put("a", SafetensorsDType.F32, new long[] {-1}, ByteBuffer.allocate(0)),
                () -> new SafetensorsWriter().put("a", SafetensorsDType.F32, new long[] {1L << 40, 1L << 40}, ByteBuffer.allocate(0)),
                () -> new SafetensorsWriter().putF32("a", new long[] {1}, new float[1]).putF32("a", new long[] {1}, new float[1]),
                () -> new SafetensorsWriter().putF32("__metadata__", new long[] {1}, new float[1]),
                () -> new SafetensorsWriter().putFloats("a", new long[] {1}, new float[1], SafetensorsDType.I32));
        for (int i = 0; i < bad.size(); i++) assertThrows(IllegalArgumentException.class, bad.get(i)::run, "case " + i);
    }
}
