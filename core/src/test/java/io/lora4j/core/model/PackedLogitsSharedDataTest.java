package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.testing.SharedData;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** stories260K (llama2.c checkpoint): the three reference token lines packed into one row give each line's logits alone. */
class PackedLogitsSharedDataTest {

    @Test
    void threePackedLinesGiveTheirLogitsAlone() throws Exception {
        Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(SharedData.file("models/stories260K.bin"));
        LlamaConfig c = ckpt.config();
        List<int[]> lines = TokenLines.readTokens(SharedData.file("reference/stories260K/tokens.txt"));
        assertEquals(3, lines.size());
        // row 0: all three lines packed; row 1: the first line alone, padded (an unpacked row in the same batch)
        List<List<int[]>> rows = List.of(lines, List.of(lines.get(0)));

        // float64: the same arithmetic up to summation order, so packed = alone to rounding of doubles
        LlamaModel f64 = new LlamaModel(c, LlamaWeights.load(c, ckpt, DataType.DOUBLE));
        double packed64 = PackedSequencesTest.maxDiffToAlone(f64, rows, true);

        // float32: BLAS sums a longer row in another order; the floor is what the old path already shows for the
        // first line padded to the packed length next to another row (no packing involved)
        LlamaModel f32 = new LlamaModel(c, LlamaWeights.load(c, ckpt, DataType.FLOAT));
        double packed32 = PackedSequencesTest.maxDiffToAlone(f32, rows, true);
        double unsegmented = PackedSequencesTest.maxDiffToAlone(f32, rows, false);
        int T = lines.stream().mapToInt(l -> l.length).sum();
        int[][] padded = new int[2][T];
        System.arraycopy(lines.get(0), 0, padded[0], 0, lines.get(0).length);
        System.arraycopy(lines.get(2), 0, padded[1], 0, lines.get(2).length);
        INDArray batch = f32.logits(padded).get(NDArrayIndex.interval(0, lines.get(0).length), NDArrayIndex.all());
        INDArray alone = f32.logits(new int[][] {lines.get(0)});
        double floor = batch.sub(alone).amaxNumber().doubleValue(), scale = alone.amaxNumber().doubleValue();
        System.out.printf("stories260K: packed vs alone max |Δlogit| fp64 %.3g, fp32 %.3g (fp32 floor of padding alone %.3g, max |logit| %.1f);"
                + " without segments (the old path) %.3g%n", packed64, packed32, floor, scale, unsegmented);
        assertTrue(packed64 < 1e-9, "fp64 packed vs alone: " + packed64);
        assertTrue(packed32 < Math.max(1e-5, 4 * floor), "fp32 packed vs alone: " + packed32 + " (floor " + floor + ")");
        assertTrue(unsegmented > 1e-2, "without segments the lines see each other: " + unsegmented);
    }
}
