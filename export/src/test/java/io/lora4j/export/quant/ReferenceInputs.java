package io.lora4j.export.quant;

/**
 * Deterministic test tensors built from integer random bits and exact float operations only (no library
 * Gaussian, no transcendental functions), so the same floats can be fed to ggml's C code and to lora4j on any JVM.
 * Each family aims at a different corner of the quantizers.
 */
final class ReferenceInputs {
    static final String[] FAMILIES = {"gauss", "scales", "halves", "mixed", "uniform", "tiny", "ints"};
    static final int ROWS = 16, ROW_LEN = 1024;

    private ReferenceInputs() {}

    /** SplitMix64: a fixed, documented generator. */
    private static final class Bits {
        private long s;

        Bits(long seed) {
            s = seed;
        }

        long next() {
            long z = (s += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        int below(int n) {
            return (int) ((next() >>> 33) % n);
        }

        /** Uniform in [-1, 1) with 24 random bits: exact. */
        float unit() {
            return ((int) (next() >>> 40) - (1 << 23)) * 0x1p-23f;
        }

        /** Roughly Gaussian: a sum of four uniforms (Irwin–Hall), exact float sums. */
        float gauss() {
            return (unit() + unit() + unit() + unit()) * 0.8660254f;
        }
    }

    static float[] family(String name) {
        Bits r = new Bits(name.hashCode());
        float[] x = new float[ROWS * ROW_LEN];
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (name) {
                // weights with sparse 25x outliers, as in the synth-a fixture
                case "gauss" -> r.below(200) == 0 ? 25 * r.gauss() : r.gauss();
                // every magnitude from 1 down to 2^-120: subnormal fp16 scales, flush to zero, GROUP_MAX_EPS
                case "scales" -> Math.scalb(r.gauss(), -3 * r.below(41));
                // multiples of 1/2 (and of 1/8 in two thirds of the blocks): round-half ties everywhere
                case "halves" -> (r.below(33) - 16) * 0.5f * ((i / 32) % 3 == 0 ? 1f : 0.25f);
                // 16-value sub-blocks of zeros, constants, one sign, tiny and huge values side by side
                case "mixed" -> switch ((i / 16) % 8) {
                    case 0 -> 0f;
                    case 1 -> 1.5f;
                    case 2 -> r.gauss() * 1e-3f;
                    case 3 -> -Math.abs(r.gauss());
                    case 4 -> Math.abs(r.gauss());
                    case 5 -> Math.scalb(r.gauss(), -30);
                    case 6 -> r.gauss() * 100;
                    default -> r.below(4) == 0 ? -0.0f : r.gauss() * 0.01f;
                };
                case "uniform" -> r.below(700) == 0 ? -0.0f : r.unit();
                // below fp16's normal range: the scales themselves become subnormal halves
                case "tiny" -> r.gauss() * 1e-5f;
                case "ints" -> r.below(16) - 8;
                default -> throw new IllegalArgumentException(name);
            };
        }
        return x;
    }
}
