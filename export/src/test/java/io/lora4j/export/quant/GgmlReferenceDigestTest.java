package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lora4j.core.ggml.GgmlType;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * lora4j's bytes against ggml's own quantizers for every type, including those the synth-a fixtures do not cover
 * (Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q5_K). The expected SHA-256 digests were computed outside this repository by
 * compiling ggml-org/ggml@d99724f2 src/ggml-quants.c with gcc 12.2 -O2 for x86-64 (no -march, so no FMA, as in
 * ggml-base) and calling quantize_row_&lt;type&gt;_ref row by row (1024 values a row) on {@link ReferenceInputs}'
 * families in the order of {@link ReferenceInputs#FAMILIES}, all outputs concatenated. To reproduce, dump the
 * families as little-endian float32 and run the same calls.
 */
class GgmlReferenceDigestTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "Q8_0, 121856, e5fa89d3d984162d0fff75c133fc15c3464a381187227514da9bd718dd10030d",
        "Q4_0, 64512, a424ec9a70d3f4dc51c08bf86940c3defdfa370685369ad963a5264e92c1c464",
        "Q4_1, 71680, 7ec94c9591fc6aa635cc83350bf16cb2f950e1646c520e6c0c089ef47d862aba",
        "Q5_0, 78848, 5bc745fd6a75b04206f5f13db45207382da3b278e95f74e0ff54f2b750d73396",
        "Q5_1, 86016, e7c2f5803cb24b9d3dfb354626d7953f1d8e981d8924762aaead365cd2517359",
        "Q2_K, 37632, dcd4e05f20650fff365659b4f75ece8c1c108b8597fd162b0d56bbf033b8be86",
        "Q3_K, 49280, 9f40a8147b9c5f785d816d8a8cf6dbec8cf6ef606787cca3252423a50f8857f6",
        "Q4_K, 64512, 6e915f2165be73966232a71cbb0302a6f6d91bfc537905914f0980f0ebc28156",
        "Q5_K, 78848, 97f5ce71cbf3ced73304713bd2c7291acf9d41693e1c70a4613b548b4f72f9db",
        "Q6_K, 94080, 835840dc89b3099ef3d6dbb1c7af7c15786671b6e57a2d465d1fda275942974c",
    })
    void bytesMatchGgmlReferenceQuantizer(GgmlType type, int bytes, String sha256) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        long total = 0;
        StringBuilder perFamily = new StringBuilder();
        for (String family : ReferenceInputs.FAMILIES) {
            ByteBuffer q = Quantizers.quantize(ReferenceInputs.family(family), ReferenceInputs.ROWS, ReferenceInputs.ROW_LEN, type, 2);
            byte[] b = new byte[q.remaining()];
            q.get(b);
            md.update(b);
            total += b.length;
            perFamily.append(family).append(' ').append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)), 0, family.length() + 13).append("; ");
        }
        assertEquals(bytes, total, type + " output size");
        assertEquals(sha256, HexFormat.of().formatHex(md.digest()), type + " bytes differ from ggml's (per family, for debugging: " + perFamily + ")");
    }
}
