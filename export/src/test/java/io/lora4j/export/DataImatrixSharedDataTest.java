package io.lora4j.export;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.testing.SharedData;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.export.quant.ImportanceMatrix;
import io.lora4j.lora.LoraAdapter;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** export --imatrix-from-data's matrix: layer 0's attention input recomputed by hand, and the adapter merged in. */
class DataImatrixSharedDataTest {

    @Test
    void layerZeroInputsAreTheNormedEmbeddingsAndLaterEntriesSeeTheAdapter(@TempDir Path tmp) throws Exception {
        BaseModel base = ModelLoader.load(SharedData.file("models/stories260K.gguf"));
        Tokenizer tok = base.requireTokenizer();
        LoraAdapter a = ExportSharedDataTest.adapter(base);
        List<int[]> eval = List.of(tok.encode("Once upon a time, there was a little girl named Lily.", true), tok.encode("The cat sat on the mat.", true));
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        ImportanceMatrix merged = ImportanceMatrix.read(DataImatrix.write(base, a, eval, tmp.resolve("m.dat"), "eval", quiet));
        ImportanceMatrix plain = ImportanceMatrix.read(DataImatrix.write(base, null, eval, tmp.resolve("b.dat"), "eval", quiet));
        assertEquals(35, merged.entries().size()); // 5 blocks × 7 projections, no output.weight
        assertEquals(2, merged.chunks());
        assertEquals("eval", merged.dataset());

        // mean over all tokens of (rmsnorm(embedding) · attn_norm)², per column, in double
        LlamaWeights w = base.weights();
        int dim = base.config().dim();
        float[] g = w.layers().get(0).attnNorm().castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).toFloatVector();
        double[] mean = new double[dim];
        int n = 0;
        for (int[] s : eval) {
            for (int id : s) {
                float[] e = w.tokenEmbedding().getRow(id).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).toFloatVector();
                double ss = 0;
                for (float v : e) ss += (double) v * v;
                double r = 1 / Math.sqrt(ss / dim + base.config().rmsNormEps());
                for (int j = 0; j < dim; j++) mean[j] += Math.pow(e[j] * r * g[j], 2);
                n++;
            }
        }
        for (String p : List.of("attn_q", "attn_k", "attn_v")) {
            float[] got = merged.weightsFor("blk.0." + p + ".weight");
            for (int j = 0; j < dim; j++) assertEquals(mean[j] / n, got[j], 1e-4 * mean[j] / n + 1e-9, p + " column " + j);
        }
        // the adapter changes attn_v, so what enters attn_output differs between merged and base
        float[] m = merged.weightsFor("blk.0.attn_output.weight"), b = plain.weightsFor("blk.0.attn_output.weight");
        double diff = 0;
        for (int j = 0; j < m.length; j++) diff = Math.max(diff, Math.abs(m[j] - b[j]) / b[j]);
        assertTrue(diff > 0.01, "the merged model's attn_output input should differ from the base's: " + diff);
    }
}
