package io.lora4j.core.safetensors;

import java.util.Arrays;

/** One tensor entry of a safetensors header: PyTorch-order shape and byte range relative to the data section. */
public record SafetensorsTensor(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {
    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape);
    }
}
