package io.lora4j.export.quant;

import io.lora4j.core.ggml.GgmlType;

/**
 * The quantizers with their fast paths (Vector API kernels) switched on or off explicitly, so tests can hold the
 * two to the same bytes; {@link Quantizers#forType} picks the fast path whenever {@link Simd#ENABLED}.
 */
final class FastPaths {
    private FastPaths() {}

    /** {@code fast} is ignored where the machine's vectors are not ones the kernels handle. */
    static Quantizer quantizer(GgmlType type, boolean fast) {
        boolean legacy = fast && LegacyQuantizers.SIMD;
        return switch (type) {
            case Q8_0 -> new LegacyQuantizers.Q8_0(legacy);
            case Q4_0 -> new LegacyQuantizers.Q4_0(legacy);
            case Q4_1 -> new LegacyQuantizers.Q4_1(legacy);
            case Q5_0 -> new LegacyQuantizers.Q5_0(legacy);
            case Q5_1 -> new LegacyQuantizers.Q5_1(legacy);
            case F16 -> new FloatQuantizers.F16(fast && FloatQuantizers.SIMD);
            case BF16 -> new FloatQuantizers.BF16(fast && FloatQuantizers.SIMD);
            case Q2_K -> new Q2KQuantizer(fast && MinScaleSearch.SIMD);
            case Q4_K -> Q45KQuantizer.q4K(fast && MinScaleSearch.SIMD);
            case Q5_K -> Q45KQuantizer.q5K(fast && MinScaleSearch.SIMD);
            case Q3_K -> new Q3KQuantizer(fast && SymmetricSearch.SIMD);
            case Q6_K -> new Q6KQuantizer(fast && SymmetricSearch.SIMD);
            default -> Quantizers.forType(type);
        };
    }
}
