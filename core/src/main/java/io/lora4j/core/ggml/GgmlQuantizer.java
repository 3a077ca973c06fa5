package io.lora4j.core.ggml;

/**
 * Q8_0 and Q4_0 block quantization as ggml's quantize_row_*_ref does it (REFERENCE.md B.5), for holding a
 * full-precision base model quantized in memory ({@code train.base_dtype: q8_0 | q4_0}). Core cannot use the export
 * module's quantizers (export depends on core), so the two simplest types live here too; an export test checks that
 * both write the same bytes. Codes use the unrounded float inverse scale; the stored scale is fp16.
 */
public final class GgmlQuantizer {
    private GgmlQuantizer() {}

    public static boolean supports(GgmlType type) {
        return type == GgmlType.Q8_0 || type == GgmlType.Q4_0;
    }

    /** Quantizes {@code n} values (whole blocks) of {@code x[xo..]} into {@code out[oo..]}. */
    public static void quantize(GgmlType type, float[] x, int xo, int n, byte[] out, int oo) {
        if (!supports(type)) throw new IllegalArgumentException("lora4j holds a base model quantized only as Q8_0 or Q4_0, not " + type);
        if (n % type.blockSize != 0) throw new IllegalArgumentException(type + ": " + n + " values is not a whole number of blocks of " + type.blockSize);
        for (int b = 0; b < n / 32; b++, xo += 32, oo += type.typeSize) {
            if (type == GgmlType.Q8_0) q8_0(x, xo, out, oo);
            else q4_0(x, xo, out, oo);
        }
    }

    /** d = amax/127, q = roundf(x·(1/d)), half away from zero. */
    private static void q8_0(float[] x, int xo, byte[] out, int oo) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            float a = Math.abs(x[xo + j]);
            amax = amax > a ? amax : a;
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, oo, d);
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j] * id;
            int t = (int) v;
            out[oo + 2 + j] = (byte) (t + (int) (2 * (v - t))); // roundf: the fraction is exact for |v| ≤ 127
        }
    }

    /** d = max/−8 with max the signed element of largest magnitude (first wins ties); q = min(15, (int8)(x·id + 8.5)). */
    private static void q4_0(float[] x, int xo, byte[] out, int oo) {
        float max = 0, amax = 0;
        for (int j = 0; j < 32; j++) {
            float a = Math.abs(x[xo + j]);
            if (a > amax) {
                amax = a;
                max = x[xo + j];
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, oo, d);
        for (int j = 0; j < 16; j++) {
            int x0 = Math.min(15, (byte) (int) (x[xo + j] * id + 8.5f));
            int x1 = Math.min(15, (byte) (int) (x[xo + 16 + j] * id + 8.5f));
            out[oo + 2 + j] = (byte) (x0 | (x1 << 4));
        }
    }

    private static void putHalf(byte[] out, int at, float v) {
        short h = Float16.floatToHalf(v);
        out[at] = (byte) h;
        out[at + 1] = (byte) (h >> 8);
    }
}
