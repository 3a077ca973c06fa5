package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufTensorInfo;
import io.lora4j.core.testing.SharedData;
import io.lora4j.export.quant.GgufQuantizer;
import io.lora4j.export.quant.QuantPreset;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lora4j quantize --imatrix}: the imatrix reaches the quantizers (bytes change) and the file records it. */
class QuantizeImatrixCliSharedDataTest {

    /** A llama-imatrix .dat for synth-a's 14 matrices: ncall 2, sums 1 + (column mod 7). */
    private static Path writeImatrix(Path dir) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        String[] kinds = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
        b.putInt(14);
        for (int l = 0; l < 2; l++) {
            for (String k : kinds) {
                byte[] name = ("blk." + l + "." + k + ".weight").getBytes(StandardCharsets.UTF_8);
                b.putInt(name.length).put(name).putInt(2);
                int n = k.equals("ffn_down") ? 768 : 256;
                b.putInt(n);
                for (int c = 0; c < n; c++) b.putFloat(1 + c % 7);
            }
        }
        byte[] ds = "cli-test".getBytes(StandardCharsets.UTF_8);
        b.putInt(3).putInt(ds.length).put(ds);
        Path p = dir.resolve("m.imatrix");
        Files.write(p, java.util.Arrays.copyOf(b.array(), b.position()));
        return p;
    }

    @Test
    void quantizeWithImatrix(@TempDir Path tmp) throws Exception {
        Path in = SharedData.file("reference/synth-a/f32.gguf"), im = writeImatrix(tmp);
        Path with = tmp.resolve("with.gguf"), without = tmp.resolve("without.gguf");
        CliSharedDataTest.Run r = CliSharedDataTest.run("quantize", in.toString(), with.toString(), "Q4_K_M", "--imatrix", im.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        GgufQuantizer.quantize(in, without, QuantPreset.Q4_K_M, 2);
        try (GgufFile a = GgufFile.open(with); GgufFile b = GgufFile.open(without)) {
            assertEquals(14, a.metadata().getInteger("quantize.imatrix.entries_count"));
            assertEquals(3, a.metadata().getInteger("quantize.imatrix.chunks_count"));
            GgufTensorInfo qa = a.tensor("blk.0.attn_q.weight").orElseThrow(), qb = b.tensor("blk.0.attn_q.weight").orElseThrow();
            assertEquals(qb.type(), qa.type());
            assertNotEquals(a.tensorBytes(qa), b.tensorBytes(qb), "the imatrix changed nothing");
            GgufTensorInfo ea = a.tensor("token_embd.weight").orElseThrow(), eb = b.tensor("token_embd.weight").orElseThrow();
            assertEquals(b.tensorBytes(eb), a.tensorBytes(ea), "a tensor without an entry is quantized as without imatrix");
        }
        CliSharedDataTest.Run bad = CliSharedDataTest.run("quantize", in.toString(), tmp.resolve("x.gguf").toString(), "Q4_K_M", "--imatrix", in.toString());
        assertNotEquals(0, bad.code());
    }
}
