package io.lora4j.core.model;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.ggml.Float16;
import io.lora4j.core.ggml.GgmlQuantizer;
import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.gguf.GgufValue;
import io.lora4j.core.gguf.GgufWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A base held as stored (F16, BF16, ggml blocks) computes exactly what the fp32 model of its expanded values computes. */
class BlockStorageTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(value = BaseDtype.class, names = {"Q8_0", "Q4_0", "F16", "BF16"})
    void heldBaseEqualsTheFp32ModelOfItsValues(BaseDtype dtype) throws Exception {
        LlamaConfig c = TinyModels.blockConfig(2, false);
        LlamaWeights held = LlamaWeights.load(c, TinyModels.randomSource(5), dtype);
        FrozenWeight q = held.layers().get(1).weight(Projection.DOWN);
        assertEquals(dtype.name(), q.storage());
        long f32Bytes = 4L * q.rows() * q.cols();
        assertTrue(q.storedBytes() < f32Bytes / (dtype.name().startsWith("Q4") ? 6 : dtype.name().startsWith("Q8") ? 3 : 1.9),
                dtype + " holds " + q.storedBytes() + " bytes for " + f32Bytes + " fp32 bytes");

        LlamaModel m = new LlamaModel(c, held);
        LlamaModel ref = new LlamaModel(c, TinyModels.expanded(c, held));
        int[][] tokens = TinyModels.tokens(c, 2, 9, 1);
        INDArray a = m.logits(tokens), b = ref.logits(tokens);
        assertEquals(0.0, a.sub(b).amaxNumber().doubleValue(), 1e-6, "logits of the held base vs the fp32 model of its values");
        // and quantization really happened: the values differ from the fp32 source
        LlamaModel f32 = new LlamaModel(c, LlamaWeights.load(c, TinyModels.randomSource(5), BaseDtype.F32));
        assertTrue(f32.logits(tokens).sub(a).amaxNumber().doubleValue() > 1e-4, "the " + dtype + " base must differ from the fp32 one");
    }

    @Test
    void q8ValuesAreGgmlDequantizedQuantization() throws Exception {
        LlamaConfig c = TinyModels.blockConfig(1, true);
        WeightSource source = TinyModels.randomSource(9); // values are drawn on first read and then cached
        FrozenWeight w = LlamaWeights.load(c, source, BaseDtype.Q8_0).layers().get(0).weight(Projection.UP);
        float[] src = source.read(Projection.UP.hfWeightName(0), c.hiddenDim(), c.dim());
        float[] got = w.toDense(DataType.FLOAT).data().asFloat();
        for (int i = 0; i < src.length; i += 32) { // independent recomputation of each block: d = amax/127, q = round(x/d)
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(src[i + j]));
            float d = Float16.halfToFloat(Float16.floatToHalf(amax / 127));
            for (int j = 0; j < 32; j++) {
                float want = Math.round(src[i + j] * (127 / amax)) * d;
                assertEquals(want, got[i + j], Math.abs(d) * 1e-3 + 1e-7, "element " + (i + j));
            }
        }
    }

    @Test
    void rowsOfABlockEmbeddingAreTheExpandedRows() throws Exception {
        LlamaConfig c = TinyModels.blockConfig(1, true);
        FrozenWeight e = LlamaWeights.load(c, TinyModels.randomSource(2), BaseDtype.Q4_0).embeddingWeight();
        INDArray all = e.toDense(DataType.FLOAT);
        int[] ids = {3, 0, 28, 3};
        assertEquals(all.getRows(ids), e.rows(ids, DataType.FLOAT));
    }

    /** A llama GGUF with Q8_0, Q4_0, F16, BF16 and F32 matrices; AUTO keeps them mapped and gives the F32 load's logits. */
    @Test
    void ggufHeldAsStoredMatchesTheExpandedLoad() throws Exception {
        LlamaConfig c = TinyModels.blockConfig(2, false);
        Path p = tmp.resolve("m.gguf");
        writeGguf(c, p, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.F16, GgmlType.BF16, null);
        BaseModel auto = ModelLoader.load(p, BaseDtype.AUTO, Optional.empty());
        BaseModel f32 = ModelLoader.load(p, BaseDtype.F32, Optional.empty());
        assertEquals("Q8_0", auto.weights().layers().get(0).weight(Projection.Q).storage());
        assertEquals("Q4_0", auto.weights().layers().get(0).weight(Projection.K).storage());
        assertEquals("F16", auto.weights().layers().get(0).weight(Projection.GATE).storage());
        assertEquals("BF16", auto.weights().layers().get(0).weight(Projection.UP).storage());
        assertEquals("F32", auto.weights().layers().get(0).weight(Projection.V).storage());
        assertEquals("F32", f32.weights().layers().get(0).weight(Projection.Q).storage());
        assertTrue(auto.weights().storedMatrixBytes() < f32.weights().storedMatrixBytes() * 0.7);
        int[][] tokens = TinyModels.tokens(c, 2, 7, 4);
        INDArray a = new LlamaModel(c, auto.weights()).logits(tokens), b = new LlamaModel(c, f32.weights()).logits(tokens);
        assertEquals(0.0, a.sub(b).amaxNumber().doubleValue(), 1e-6, "Q/K row order and values of the mapped tensors");
    }

    @Test
    void aTypeLora4jCannotExpandFailsNamingTensorAndType() throws Exception {
        LlamaConfig c = new LlamaConfig(256, 256, 1, 4, 2, 64, 29, 64, 1e-5f, 10000f, false);
        Path p = tmp.resolve("iq.gguf");
        writeGguf(c, p, GgmlType.Q8_0, GgmlType.Q8_0, GgmlType.F16, GgmlType.F16, GgmlType.IQ2_XXS);
        for (BaseDtype d : new BaseDtype[] {BaseDtype.AUTO, BaseDtype.F32}) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(p, d, Optional.empty()));
            assertTrue(e.getMessage().contains("blk.0.ffn_down.weight") && e.getMessage().contains("IQ2_XXS"), e.getMessage());
        }
    }

    /** q, k in {@code qType}/{@code kType}, gate/up in F16/BF16 types, v/o/down F32 (down in {@code downType} when given). */
    static void writeGguf(LlamaConfig c, Path out, GgmlType qType, GgmlType kType, GgmlType gateType, GgmlType upType, GgmlType downType) throws Exception {
        WeightSource src = TinyModels.randomSource(8);
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.string("llama"));
        w.put("llama.embedding_length", GgufValue.uint32(c.dim()));
        w.put("llama.feed_forward_length", GgufValue.uint32(c.hiddenDim()));
        w.put("llama.block_count", GgufValue.uint32(c.nLayers()));
        w.put("llama.attention.head_count", GgufValue.uint32(c.nHeads()));
        w.put("llama.attention.head_count_kv", GgufValue.uint32(c.nKvHeads()));
        w.put("llama.context_length", GgufValue.uint32(c.contextLength()));
        w.put("llama.attention.layer_norm_rms_epsilon", GgufValue.float32(c.rmsNormEps()));
        matrix(w, "token_embd.weight", src.read("model.embed_tokens.weight", c.vocabSize(), c.dim()), c.vocabSize(), c.dim(), GgmlType.Q8_0);
        matrix(w, "output.weight", src.read("lm_head.weight", c.vocabSize(), c.dim()), c.vocabSize(), c.dim(), GgmlType.F16);
        w.addTensor("output_norm.weight", new long[] {c.dim()}, src.read("model.norm.weight", c.dim()));
        for (int l = 0; l < c.nLayers(); l++) {
            w.addTensor("blk." + l + ".attn_norm.weight", new long[] {c.dim()}, src.read("model.layers." + l + ".input_layernorm.weight", c.dim()));
            w.addTensor("blk." + l + ".ffn_norm.weight", new long[] {c.dim()}, src.read("model.layers." + l + ".post_attention_layernorm.weight", c.dim()));
            for (Projection pr : Projection.values()) {
                int rows = pr.outFeatures(c), cols = pr.inFeatures(c);
                float[] v = src.read(pr.hfWeightName(l), rows, cols);
                if (pr == Projection.Q) v = QkPermutation.toGguf(v, c.nHeads(), cols);
                if (pr == Projection.K) v = QkPermutation.toGguf(v, c.nKvHeads(), cols);
                GgmlType t = switch (pr) {
                    case Q -> qType;
                    case K -> kType;
                    case GATE -> gateType;
                    case UP -> upType;
                    case DOWN -> downType != null ? downType : GgmlType.F32;
                    default -> GgmlType.F32;
                };
                matrix(w, pr.ggufWeightName(l), v, rows, cols, t);
            }
        }
        w.write(out);
    }

    private static void matrix(GgufWriter w, String name, float[] v, int rows, int cols, GgmlType t) {
        long[] ne = {cols, rows};
        switch (t) {
            case F32 -> w.addTensor(name, ne, v);
            case F16, BF16 -> {
                ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) b.putShort(t == GgmlType.F16 ? Float16.floatToHalf(f) : Float16.floatToBf16(f));
                w.addTensor(name, ne, t, b.flip());
            }
            case Q8_0, Q4_0 -> {
                byte[] out = new byte[(int) (rows * t.rowBytes(cols))];
                GgmlQuantizer.quantize(t, v, 0, v.length, out, 0);
                w.addTensor(name, ne, t, ByteBuffer.wrap(out));
            }
            default -> {
                byte[] junk = new byte[(int) (rows * t.rowBytes(cols))];
                new SplittableRandom(1).nextBytes(junk);
                w.addTensor(name, ne, t, ByteBuffer.wrap(junk));
            }
        }
    }

    @Test
    void scratchIsReusedAcrossProjections() throws Exception {
        LlamaConfig c = TinyModels.blockConfig(2, false);
        LlamaModel m = new LlamaModel(c, LlamaWeights.load(c, TinyModels.randomSource(5), BaseDtype.Q4_0));
        m.logits(TinyModels.tokens(c, 1, 5, 1));
        // the largest matrix is the (V, d) output or a (f, d) projection: one scratch of that size, not one per matrix
        assertEquals(Math.max((long) c.vocabSize() * c.dim(), (long) c.hiddenDim() * c.dim()), WeightScratch.elements());
    }
}
