package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;

/**
 * ggml's reference quantizers' single-thread speed, as measured once on a named machine and recorded with its
 * provenance in {@code ggml-reference-speed.properties} beside this class (export/bench/ has the driver and the
 * script that produced it). Two figures per type: {@code same_input} (ggml's quantize_row_*_ref on the very tensor
 * {@link QuantizeBenchmark} quantizes) and {@code test_quantize_perf} (llama.cpp's own tool on its synthetic input).
 */
final class GgmlReferenceSpeed {
    static final String RESOURCE = "ggml-reference-speed.properties";
    private final Properties p;

    private GgmlReferenceSpeed(Properties p) {
        this.p = p;
    }

    static GgmlReferenceSpeed load() {
        Properties p = new Properties();
        try (InputStream in = GgmlReferenceSpeed.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + RESOURCE + " beside " + GgmlReferenceSpeed.class.getName());
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        return new GgmlReferenceSpeed(p);
    }

    /** MB/s (10^6 bytes of F32 input per second) on the benchmark's own tensor, or null if not recorded. */
    Double sameInput(GgmlType type) {
        return number(type + ".same_input_mb_s");
    }

    /** MB/s from test-quantize-perf's minimum cycles per 32 values on its own input, or null if not recorded. */
    Double testQuantizePerf(GgmlType type) {
        return number(type + ".test_quantize_perf_mb_s");
    }

    /** Lines saying where the figures come from, for the top of the table. */
    List<String> provenance() {
        return List.of(
                "ggml figures: carried over from a measurement, not measured by this run: " + get("measured"),
                "  machine: " + get("machine"),
                "  llama.cpp " + get("llama_cpp.commit") + ", built with: " + get("build"),
                "  same input: " + get("same_input.command"),
                "  test-quantize-perf: " + get("test_quantize_perf.command"));
    }

    private String get(String key) {
        String v = p.getProperty(key);
        if (v == null) throw new IllegalStateException(RESOURCE + ": missing key '" + key + "'");
        return v;
    }

    private Double number(String key) {
        String v = p.getProperty(key);
        if (v == null) return null;
        try {
            return Double.valueOf(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException(RESOURCE + ": '" + key + "' should be a number of MB/s, got '" + v + "'", e);
        }
    }
}
