package io.lora4j.core.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/** Little-endian GGUF header bytes (values, strings, tensor infos), buffered in memory: headers are a few MB at most. */
final class GgufEncoder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);

    void u8(int v) {
        out.write(v & 0xFF);
    }

    void u16(int v) {
        u8(v);
        u8(v >>> 8);
    }

    void u32(int v) {
        for (int i = 0; i < 4; i++) u8(v >>> (8 * i));
    }

    void u64(long v) {
        for (int i = 0; i < 8; i++) u8((int) (v >>> (8 * i)));
    }

    void string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(b.length);
        out.write(b, 0, b.length);
    }

    /** Type id, then the value; arrays as element type, count, elements. Exactly the type the value carries. */
    void value(GgufValue v) {
        u32(v.type().id);
        if (v.type() != GgufValueType.ARRAY) {
            scalar(v.type(), v.raw());
            return;
        }
        u32(v.elementType().id);
        u64(v.length());
        Object a = v.raw();
        switch (v.elementType()) {
            case STRING -> { for (String s : (String[]) a) string(s); }
            case FLOAT32 -> { for (float f : (float[]) a) u32(Float.floatToRawIntBits(f)); }
            case FLOAT64 -> { for (double d : (double[]) a) u64(Double.doubleToRawLongBits(d)); }
            case BOOL -> { for (boolean b : (boolean[]) a) u8(b ? 1 : 0); }
            case UINT32 -> { for (long l : (long[]) a) u32((int) l); }
            case UINT64, INT64 -> { for (long l : (long[]) a) u64(l); }
            default -> { for (int i : (int[]) a) scalar(v.elementType(), i); }
        }
    }

    private void scalar(GgufValueType t, Object o) {
        switch (t) {
            case UINT8, INT8, BOOL -> u8(o instanceof Boolean b ? (b ? 1 : 0) : (Integer) o);
            case UINT16, INT16 -> u16((Integer) o);
            case UINT32 -> u32((int) (long) (Long) o);
            case INT32 -> u32((Integer) o);
            case UINT64, INT64 -> u64((Long) o);
            case FLOAT32 -> u32(Float.floatToRawIntBits((Float) o));
            case FLOAT64 -> u64(Double.doubleToRawLongBits((Double) o));
            case STRING -> string((String) o);
            case ARRAY -> throw new IllegalArgumentException("nested arrays are not written (ggml cannot read them)");
        }
    }

    void tensorInfo(GgufTensorInfo t) {
        string(t.name());
        u32(t.nDims());
        for (int i = 0; i < t.nDims(); i++) u64(t.dim(i));
        u32(t.type().id);
        u64(t.offset());
    }

    /** Zero bytes up to the next multiple of {@code alignment}, counted from the start of the file. */
    void pad(int alignment) {
        while (out.size() % alignment != 0) out.write(0);
    }

    long size() {
        return out.size();
    }

    void writeTo(WritableByteChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(out.toByteArray());
        while (b.hasRemaining()) ch.write(b);
    }
}
