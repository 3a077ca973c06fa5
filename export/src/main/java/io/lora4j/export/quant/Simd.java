package io.lora4j.export.quant;

/**
 * Whether the quantizers may use their Vector API kernels: the incubator module must be in the boot layer (the
 * JVM was started with {@code --add-modules jdk.incubator.vector}) and {@code -Dlora4j.quant.simd=false} must not be
 * set. Checked once, before any class that names {@code jdk.incubator.vector} is loaded, so that without the module
 * those classes are never touched and the scalar code runs instead. Both paths write the same bytes.
 */
final class Simd {
    static final boolean ENABLED = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !"false".equals(System.getProperty("lora4j.quant.simd"));

    private Simd() {}
}
