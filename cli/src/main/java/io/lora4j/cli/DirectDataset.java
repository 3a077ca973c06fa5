package io.lora4j.cli;

import io.lora4j.core.data.AlpacaReader;
import io.lora4j.core.data.ExampleEncoder;
import io.lora4j.core.data.InstructionRecord;
import io.lora4j.core.data.PromptTemplate;
import io.lora4j.core.data.SplitAndDedup;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.trainer.data.TokenizedExample;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Training data read straight from local Alpaca JSON/JSONL files (without the Spark prepare job), through the same
 * template, tokenization, masking, dedup and split rules, for small runs and for training before preparing.
 */
final class DirectDataset {
    record Split(List<TokenizedExample> train, List<TokenizedExample> val, int read, int rejected, int duplicates, int truncated) {}

    private DirectDataset() {}

    static Split load(RunConfig.Data cfg, Tokenizer tok, PrintStream log) throws IOException {
        PromptTemplate template = PromptTemplate.resolve(cfg.template());
        List<InstructionRecord> records = new ArrayList<>();
        List<AlpacaReader.Reject> rejects = new ArrayList<>();
        for (RunConfig.Source s : cfg.sources()) {
            Path p = Path.of(s.path().replaceFirst("^file:", ""));
            if (!Files.exists(p)) throw new IOException("data source " + s.path() + ": no such file (use `lora4j prepare` for HDFS/S3 inputs)");
            AlpacaReader.Fields f = s.fields() == null ? AlpacaReader.Fields.ALPACA
                    : new AlpacaReader.Fields(s.fields().getOrDefault("instruction", "instruction"), s.fields().getOrDefault("input", "input"), s.fields().getOrDefault("output", "output"));
            AlpacaReader.read(p, f, template, records::add, rejects::add);
        }
        ExampleEncoder enc = new ExampleEncoder(tok, cfg.cutoffLen(), cfg.trainOnInputs(),
                cfg.truncate().equals("drop") ? ExampleEncoder.Truncation.DROP : ExampleEncoder.Truncation.RESPONSE);
        Set<Long> seen = new HashSet<>();
        List<TokenizedExample> train = new ArrayList<>(), val = new ArrayList<>();
        int duplicates = 0, truncated = 0, rejected = rejects.size();
        java.util.Map<String, Integer> reasons = new java.util.TreeMap<>();
        for (AlpacaReader.Reject r : rejects) reasons.merge(r.reason().replaceAll("'.*", ""), 1, Integer::sum);
        for (InstructionRecord r : records) {
            long h = SplitAndDedup.hash(r);
            if (cfg.dedup() && !seen.add(h)) {
                duplicates++;
                continue;
            }
            ExampleEncoder.Result res = enc.encode(r);
            if (!res.kept()) {
                rejected++;
                reasons.merge(res.rejectReason(), 1, Integer::sum);
                continue;
            }
            if (res.truncated()) truncated++;
            TokenizedExample ex = new TokenizedExample(res.inputIds(), res.labels(), r.source());
            (SplitAndDedup.isValidation(h, cfg.seed(), cfg.valSize(), records.size()) ? val : train).add(ex);
        }
        int read = records.size() + rejects.size();
        log.printf("data: %d read, %d train, %d validation, %d rejected %s, %d duplicates, %d truncated to %d tokens%n",
                read, train.size(), val.size(), rejected, reasons.isEmpty() ? "" : reasons.toString(), duplicates, truncated, cfg.cutoffLen());
        return new Split(train, val, read, rejected, duplicates, truncated);
    }
}
