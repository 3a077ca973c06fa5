package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.GgmlDequantizer;
import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * lora4j's bytes against llama-quantize's quantization entry point, ggml_quantize_chunk(type, src, dst, 0, 16, 1024,
 * imatrix), of llama.cpp commit c392e5094 (ggml-org/llama.cpp, 2025-02-20): the IQ4 types, and every type with an
 * importance matrix ("imat": {@link #columnWeights}). The expected SHA-256 digests were computed outside this
 * repository: libggml-base built by cmake -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF with gcc 12.2 on x86-64
 * (no FMA), called from a small C program (after ggml_init, which fills the fp16 table the K-quants read their
 * rounded scales back through) on {@link ReferenceInputs}' families dumped as little-endian float32, in the order
 * of {@link ReferenceInputs#FAMILIES}, outputs concatenated. The same program without imatrix reproduces every
 * digest of {@link GgmlReferenceDigestTest}.
 */
class LlamaCppQuantizeDigestTest {

    /** The importance weights: 0 to 7.5 in steps of 1/8, a few exact zeros (exact floats in C and Java). */
    static float[] columnWeights(int n) {
        float[] w = new float[n];
        for (int c = 0; c < n; c++) w[c] = ((c * 37 + 11) % 61) / 8f;
        return w;
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "Q8_0, imat, 121856, e5fa89d3d984162d0fff75c133fc15c3464a381187227514da9bd718dd10030d",
        "Q4_0, imat, 64512, 44805d9ceffde74e8910c4d8b5682f5d39f818502819f4dcfc385979cf97b7e7",
        "Q4_1, imat, 71680, 544b8865d95b18f779a8520d35c9f5282376f18adadc03f521df598b56f4a356",
        "Q5_0, imat, 78848, 736d68ddd5afeffff43a4a0da817c8c8a7e116e5207f4a2ea8ca702f5db75fe0",
        "Q5_1, imat, 86016, f968366d0a7578f2f1788bdbc962cf3dbb3cfa8922787ab1f63b3fce18a66331",
        "Q2_K, imat, 37632, 069ed42165c1a3948cd2e02c0c74e9d06eb2d4e8a871ace123e8b6dcec0793d5",
        "Q3_K, imat, 49280, ac3ce9df153a7356abd9d43ffa338dec4524711f9e5ab900d121dc5e5d1f68be",
        "Q4_K, imat, 64512, edb11a1309e53609da1faa1779b315768d31b6c4a49e14a91f52b8010725b10b",
        "Q5_K, imat, 78848, 063fcec3ec7951d5eaa1e7568087155cf56b2b3bce96e4757ea19241efacdf3c",
        "Q6_K, imat, 94080, 3e91fdd8bb7fb03975f8d15a14fafe8c0d38624bd642a6ab620be9cd85e23703",
        "IQ4_NL, plain, 64512, 092da010ae7c7aa4f2b715f8e0e67b18e509727ab72f4618cf760b8de40a908c",
        "IQ4_NL, imat, 64512, a8a3168ba947ecd668781be9907bfddda71e805386198f4feb7a328694dccec4",
        "IQ4_XS, plain, 60928, 86756dff65cb6519cdc2a437f8e5e68fda5150ce58e01c0e163a783b4d23fb86",
        "IQ4_XS, imat, 60928, 4b3e4882de6b6ce322e28e3f5a5ce6405bc3307b4722eeca3c8c459bc4ceb955",
    })
    void bytesMatchLlamaCpp(GgmlType type, String mode, int bytes, String sha256) throws Exception {
        float[] w = mode.equals("imat") ? columnWeights(ReferenceInputs.ROW_LEN) : null;
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        long total = 0;
        StringBuilder perFamily = new StringBuilder();
        for (String family : ReferenceInputs.FAMILIES) {
            ByteBuffer q = Quantizers.quantize(ReferenceInputs.family(family), ReferenceInputs.ROWS, ReferenceInputs.ROW_LEN, type, 2, w);
            byte[] b = new byte[q.remaining()];
            q.get(b);
            md.update(b);
            total += b.length;
            perFamily.append(family).append(' ').append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)), 0, 12).append("; ");
        }
        assertEquals(bytes, total, type + " output size");
        assertEquals(sha256, HexFormat.of().formatHex(md.digest()), type + " " + mode + " bytes differ from llama.cpp's (per family: " + perFamily + ")");
    }

    /**
     * Quantize, dequantize: every value near its input. IQ4_NL's worst case is the grid's widest gap (24 of 127
     * levels, halved) plus fp16 scale rounding; IQ4_XS adds the rounding of its 6-bit sub-block scales: half a step of
     * 1/32 of the largest, times up to 127 levels, i.e. about 1/64 of the 256-value block's largest magnitude.
     */
    @Test
    void iq4RoundTripStaysNearTheInput() {
        float[] x = ReferenceInputs.family("gauss");
        for (GgmlType t : new GgmlType[] {GgmlType.IQ4_NL, GgmlType.IQ4_XS}) {
            ByteBuffer q = Quantizers.quantize(x, ReferenceInputs.ROWS, ReferenceInputs.ROW_LEN, t, 1);
            float[] y = new float[x.length];
            GgmlDequantizer.dequantize(t, q, y, 0, x.length);
            for (int b = 0; b < x.length; b += 32) {
                float amax = 0, superAmax = 0;
                for (int i = b; i < b + 32; i++) amax = Math.max(amax, Math.abs(x[i]));
                for (int i = b / 256 * 256; i < b / 256 * 256 + 256; i++) superAmax = Math.max(superAmax, Math.abs(x[i]));
                float bound = 0.1f * amax + (t == GgmlType.IQ4_XS ? superAmax / 50 : 0);
                for (int i = b; i < b + 32; i++) {
                    assertTrue(Math.abs(x[i] - y[i]) <= bound, t + " value " + i + ": " + x[i] + " came back as " + y[i] + " (bound " + bound + ")");
                }
            }
        }
    }

    @Test
    void weightsMustMatchTheRowLength() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Quantizers.quantize(new float[64], 1, 64, GgmlType.IQ4_NL, 1, new float[32]));
        assertTrue(e.getMessage().contains("32 weights") && e.getMessage().contains("64"), e.getMessage());
    }
}
