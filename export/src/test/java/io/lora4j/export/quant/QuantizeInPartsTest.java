package io.lora4j.export.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.Float16;
import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufTensorInfo;
import io.lora4j.core.gguf.GgufWriter;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `quantize` streams each tensor a part of rows at a time; the parts must give exactly the bytes of the whole tensor. */
class QuantizeInPartsTest {
    @TempDir
    Path dir;

    @Test
    void partsOfRowsQuantizeToTheBytesOfTheWholeTensor() throws Exception {
        SplittableRandom r = new SplittableRandom(5);
        float[] matrix = gaussian(r, 37 * 256), experts = gaussian(r, 3 * 5 * 256), imatrix = new float[3 * 256];
        for (int i = 0; i < imatrix.length; i++) imatrix[i] = (float) (0.1 + r.nextDouble());
        ByteBuffer half = ByteBuffer.allocate(matrix.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : matrix) half.putShort(Float16.floatToHalf(v));
        Path in = dir.resolve("in.gguf");
        new GgufWriter().addTensor("m32", new long[] {256, 37}, matrix).addTensor("m16", new long[] {256, 37}, GgmlType.F16, half.flip())
                .addTensor("experts", new long[] {256, 5, 3}, experts).write(in);
        float[] matrixAsStored = new float[matrix.length]; // the F16 tensor quantizes from its rounded values
        for (int i = 0; i < matrix.length; i++) matrixAsStored[i] = Float16.halfToFloat(Float16.floatToHalf(matrix[i]));
        try (GgufFile f = GgufFile.open(in)) {
            for (GgmlType type : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q2_K}) {
                // 4 rows per part: 37 rows end in a part of 1
                assertArrayEquals(bytes(Quantizers.quantize(matrix, 37, 256, type, 2)), inParts(f, "m32", type, null, 4 * 256), type + " F32");
                assertArrayEquals(bytes(Quantizers.quantize(matrixAsStored, 37, 256, type, 2)), inParts(f, "m16", type, null, 4 * 256), type + " F16");
                assertArrayEquals(bytes(Quantizers.quantize(matrix, 37, 256, type, 2, Arrays.copyOf(imatrix, 256))), inParts(f, "m32", type, Arrays.copyOf(imatrix, 256), 4 * 256),
                        type + " with an importance matrix");
                // three experts of 5 rows with their own weights; parts of 7 rows would span two experts, so a part stops at each
                ByteArrayOutputStream whole = new ByteArrayOutputStream();
                for (int e = 0; e < 3; e++) {
                    whole.write(bytes(Quantizers.quantize(Arrays.copyOfRange(experts, e * 5 * 256, (e + 1) * 5 * 256), 5, 256, type, 2,
                            Arrays.copyOfRange(imatrix, e * 256, (e + 1) * 256))));
                }
                assertArrayEquals(whole.toByteArray(), inParts(f, "experts", type, imatrix, 7 * 256), type + " experts");
            }
        }
    }

    private static byte[] inParts(GgufFile f, String name, GgmlType type, float[] qw, long partValues) throws Exception {
        GgufTensorInfo t = f.tensor(name).orElseThrow();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GgufQuantizer.quantizeInParts(f, t, type, 2, qw, partValues, Channels.newChannel(out));
        return out.toByteArray();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    private static float[] gaussian(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }
}
