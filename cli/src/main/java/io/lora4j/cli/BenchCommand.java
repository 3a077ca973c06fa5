package io.lora4j.cli;

import io.lora4j.core.tokenizer.TokenizerBenchmark;
import io.lora4j.export.quant.QuantizeBenchmark;
import io.lora4j.trainer.bench.TrainBenchmark;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lora4j bench WHAT}: measured speed tables (tokenize, train, quantize). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks that print tables: tokenize (MB/s per tokenizer), train (tokens/s vs the gemm peak; --workers N for the gang), "
        + "quantize (MB/s per ggml type vs ggml's C), allreduce (ring vs a socket copy), prepare (Spark vs a plain loop), "
        + "memory (peak RSS of a 7B-shaped LoRA step and of its streaming export to Q4_K_M, per base storage type).")
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "tokenize | train | quantize | allreduce | prepare | memory") String what;

    @Option(names = "--tokenizer", split = ",", description = "bench tokenize: tokenizer file(s); several (A,B,...) are measured side by side per data file; "
            + "bench prepare: tokenizer file") List<Path> tokenizer;
    @Option(names = "--data", split = ",", description = "bench tokenize: Alpaca JSON files") List<Path> data;
    @Option(names = "--steps", defaultValue = "3", description = "bench train: timed steps per shape") int steps;
    @Option(names = "--records", defaultValue = "50000", description = "bench prepare: records") int records;
    @Option(names = "--workers", defaultValue = "1", description = "bench train: N > 1 runs the training gang on local[N] beside 1 worker, with the step-time breakdown") int workers;
    @Option(names = "--sizes", defaultValue = "1,10,50,200", description = "bench allreduce: buffer sizes in MiB") String sizes;
    @Option(names = "--frame-bytes", defaultValue = "1048576", description = "bench allreduce: ring frame payload bytes") int frameBytes;
    @Option(names = "--socket-buffer-bytes", defaultValue = "0", description = "bench allreduce: SO_SNDBUF/SO_RCVBUF (0 = OS default)") int socketBufferBytes;
    @Option(names = "--dir", description = "bench memory: where the synthetic 7B-shaped models are written (reused when present)") Path dir;
    @Option(names = "--layers", defaultValue = "32", description = "bench memory: layers of the synthetic model") int layers;
    @Option(names = "--types", split = ",", defaultValue = "F32,BF16,Q8_0,Q4_0", description = "bench memory: storage types") List<String> types;
    @Option(names = "--step-heap", defaultValue = "2g", description = "bench memory: -Xmx of each step's JVM") String stepHeap;
    @Option(names = "--export-heap", defaultValue = "1g", description = "bench memory: -Xmx of each export's JVM") String exportHeap;
    @Option(names = "--no-export", description = "bench memory: leave out the export column") boolean noExport;
    @Option(names = "--small", description = "bench train: only the d256 shape; bench quantize: 1024x1024") boolean small;

    @Override
    public Integer call() throws Exception {
        switch (what) {
            case "tokenize" -> {
                if (tokenizer == null || data == null) throw new IllegalArgumentException("bench tokenize needs --tokenizer FILE[,FILE...] and --data A.json[,B.json]");
                if (tokenizer.size() == 1) TokenizerBenchmark.run(tokenizer.get(0), data, System.out);
                else TokenizerBenchmark.compare(tokenizer, data, 9, System.out);
            }
            case "train" -> {
                if (workers > 1) io.lora4j.trainer.bench.GangTrainBenchmark.run(System.out, workers, Math.max(steps, 10), 2);
                else TrainBenchmark.run(System.out, small ? List.of(TrainBenchmark.SMALL) : List.of(TrainBenchmark.ISSUE, TrainBenchmark.SMALL), steps, 1);
            }
            case "quantize" -> QuantizeBenchmark.run(System.out, small ? 1024 : 4096);
            case "memory" -> {
                if (dir == null) throw new IllegalArgumentException("bench memory needs --dir DIR (synthetic models of LLaMA-2-7B's shape are written there)");
                // the export column: the streaming export of each model with an r 16 adapter on all seven projections to Q4_K_M, in its own JVM
                int threads = Runtime.getRuntime().availableProcessors();
                io.lora4j.trainer.bench.MemoryBenchmark.Exporter export = model -> {
                    var r = io.lora4j.export.ExportMemoryBenchmark.exportModel(model, dir, "Q4_K_M", 16, 3e-2, exportHeap, 8, threads);
                    return new io.lora4j.trainer.bench.MemoryBenchmark.ExportResult(r.peakKib() * 1024, r.seconds(), r.baseBytes());
                };
                io.lora4j.trainer.bench.MemoryBenchmark.run(dir, types.stream().map(t -> io.lora4j.core.ggml.GgmlType.valueOf(t.trim().toUpperCase())).toList(),
                        layers, stepHeap, noExport ? null : export, System.out);
            }
            case "allreduce" -> io.lora4j.trainer.dist.AllReduceBenchmark.run(System.out, sizes, frameBytes, socketBufferBytes);
            case "prepare" -> {
                if (tokenizer == null || tokenizer.size() != 1 || data == null) {
                    throw new IllegalArgumentException("bench prepare needs --tokenizer FILE (one) and --data A.json[,B.json]");
                }
                Path work = java.nio.file.Files.createTempDirectory("lora4j-bench-prepare");
                try {
                    io.lora4j.data.PrepareBenchmark.run(tokenizer.get(0), data, records, work, System.out);
                } finally {
                    io.lora4j.data.PrepareBenchmark.deleteTree(work); // the input copy and every run's dataset: hundreds of MB
                }
            }
            default -> throw new IllegalArgumentException("unknown benchmark '" + what + "': expected tokenize, train, quantize, allreduce, prepare or memory");
        }
        return 0;
    }
}
