package io.lora4j.core.safetensors;

/** safetensors dtype strings with their element sizes in bytes (REFERENCE.md D.5). */
public enum SafetensorsDType {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4), F64(8), I64(8), U64(8);

    public final int size;

    SafetensorsDType(int size) {
        this.size = size;
    }

    /** The dtype named exactly {@code s}, or null (the caller names the file and tensor). */
    public static SafetensorsDType parse(String s) {
        for (SafetensorsDType d : values()) if (d.name().equals(s)) return d;
        return null;
    }

    /** Bytes of a tensor of {@code shape} stored as this dtype. */
    public long byteSize(long[] shape) {
        long n = size;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + java.util.Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Whether {@link SafetensorsFile#readFloats} converts this dtype. */
    public boolean isFloat() {
        return this == F32 || this == F16 || this == BF16;
    }
}
