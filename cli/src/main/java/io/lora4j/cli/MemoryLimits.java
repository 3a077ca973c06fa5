package io.lora4j.cli;

/**
 * Turns running out of memory into a message naming the limit that was hit and the setting that raises it (bin/lora4j
 * sets both from the machine's memory): the JVM heap (LORA4J_HEAP) or ND4J's off-heap memory, capped by JavaCPP's
 * maxbytes / maxphysicalbytes (LORA4J_OFFHEAP), instead of a JavaCPP stack trace.
 */
final class MemoryLimits {
    private MemoryLimits() {}

    /** The explanation, or null when {@code ex} is not about memory. */
    static String explain(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            String msg = t.getMessage() == null ? "" : t.getMessage();
            if (t instanceof OutOfMemoryError && msg.contains("Java heap space") || msg.contains("GC overhead limit")) {
                return "out of JVM heap (-Xmx " + setting("lora4j.heap", Runtime.getRuntime().maxMemory()) + "): raise LORA4J_HEAP (e.g. LORA4J_HEAP=16g bin/lora4j ...)";
            }
            if (msg.contains("Physical memory usage is too high") || msg.contains("physicalBytes") || msg.contains("Cannot allocate")
                    || msg.contains("maxBytes") || t instanceof OutOfMemoryError && msg.contains("Direct buffer memory")) {
                return "out of off-heap memory for ND4J (limit " + setting("lora4j.offheap", org.bytedeco.javacpp.Pointer.maxBytes()) + ", physical limit "
                        + org.bytedeco.javacpp.Pointer.maxPhysicalBytes() / (1 << 20) + " MiB, in use " + org.bytedeco.javacpp.Pointer.physicalBytes() / (1 << 20)
                        + " MiB): raise LORA4J_OFFHEAP, or use less memory (train.micro_batch, data.cutoff_len, train.recompute: true). JavaCPP said: "
                        + msg.split("\\n")[0];
            }
        }
        return null;
    }

    private static String setting(String property, long bytes) {
        String s = System.getProperty(property);
        return s != null ? s : bytes / (1 << 20) + " MiB";
    }
}
