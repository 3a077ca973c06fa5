package io.lora4j.cli;

import io.lora4j.export.quant.GgufQuantizer;
import io.lora4j.export.quant.ImportanceMatrix;
import io.lora4j.export.quant.QuantPreset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lora4j quantize IN OUT TYPE}: like llama-quantize, with ggml's reference quantizers. */
@Command(name = "quantize", mixinStandardHelpOptions = true, description = "Re-write an F32/F16 GGUF with llama-quantize's type mixing (bit-exact with llama.cpp's reference quantizers).")
final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Input GGUF (F32/F16/BF16)") Path in;
    @Parameters(index = "1", description = "Output GGUF") Path out;
    @Parameters(index = "2", description = "Type: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K_S/M/L, Q4_K_S/M, Q5_K_S/M, Q6_K, IQ4_NL, IQ4_XS, F16, BF16, F32") String type;

    @Option(names = "--force", description = "Overwrite OUT") boolean force;
    @Option(names = "--threads", defaultValue = "0", description = "Threads (default: all cores)") int threads;
    @Option(names = "--imatrix", paramLabel = "FILE", description = "Importance matrix from llama-imatrix (.dat), used as llama-quantize --imatrix does") Path imatrix;

    @Override
    public Integer call() throws Exception {
        QuantPreset p = QuantPreset.parse(type);
        if (Files.isDirectory(in)) throw new IllegalArgumentException(in + ": is a directory, expected a GGUF file");
        if (Files.isDirectory(out)) throw new IllegalArgumentException(out + ": is a directory, expected the output GGUF file's path");
        if (Files.exists(out) && !force) throw new IllegalArgumentException(out + ": already exists (use --force to overwrite)");
        GgufQuantizer.quantize(in, out, p, threads > 0 ? threads : Runtime.getRuntime().availableProcessors(),
                imatrix == null ? null : ImportanceMatrix.read(imatrix), imatrix == null ? null : imatrix.toString());
        System.err.printf("wrote %s (%s, %,d bytes)%n", out, p, Files.size(out));
        return 0;
    }
}
