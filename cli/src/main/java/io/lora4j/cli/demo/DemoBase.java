package io.lora4j.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.data.PromptTemplate;
import io.lora4j.core.model.LinearFactory;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.WeightSource;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.TokenizerModel;
import io.lora4j.core.tokenizer.Tokenizers;
import io.lora4j.export.LlamaGgufWriter;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.trainer.TrainConfig;
import io.lora4j.trainer.Trainer;
import io.lora4j.data.TokenizedExample;
import io.lora4j.trainer.optim.AdamW;
import io.lora4j.trainer.optim.AdamWSettings;
import io.lora4j.trainer.optim.LrSchedules;
import io.lora4j.trainer.params.FullParameters;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The demo's inputs, built by the project itself: the generated corpus and instruction files, and a base model
 * pretrained from scratch on the corpus (a tokenizer trained on it and a tiny LLaMA), so the fine-tune starts from a
 * real language model rather than noise. {@code lora4j run} calls this when the config has a {@code demo:} section.
 */
public final class DemoBase {
    private DemoBase() {}

    /** What {@link #writeData} generated. */
    public record Generated(List<String> corpus, List<DemoData.Instruction> instructions) {}

    /** Writes corpus.txt, instructions.json and held_out.json into {@code dataDir} (deterministic; cheap to redo). */
    public static Generated writeData(Path dataDir, int instructions, PrintStream log) throws IOException {
        Files.createDirectories(dataDir);
        List<String> corpus = DemoData.corpus(20000, 1);
        Files.write(dataDir.resolve("corpus.txt"), corpus);
        ObjectMapper json = new ObjectMapper();
        List<DemoData.Instruction> train = DemoData.instructions(instructions, 2);
        json.writerWithDefaultPrettyPrinter().writeValue(dataDir.resolve("instructions.json").toFile(), train);
        json.writerWithDefaultPrettyPrinter().writeValue(dataDir.resolve("held_out.json").toFile(), DemoData.heldOut());
        log.printf("== demo data: %,d corpus lines, %,d instructions (English and Chinese), %d held-out in %s%n", corpus.size(), train.size(),
                DemoData.heldOut().size(), dataDir);
        return new Generated(corpus, train);
    }

    /** Builds the base model unless {@code baseFile} exists. */
    public static void ensureBase(Path dataDir, Path baseFile, int pretrainSteps, int instructions, PrintStream log) throws Exception {
        Generated data = writeData(dataDir, instructions, log);
        if (Files.exists(baseFile)) {
            log.println("== demo base model: reusing " + baseFile + " (demo --fresh rebuilds it)");
            return;
        }
        pretrain(data.corpus(), data.instructions(), baseFile, pretrainSteps, log);
    }

    /** Tokenizer from the corpus, a tiny LLaMA initialised at random, full training on the prose, written as GGUF. */
    private static void pretrain(List<String> corpus, List<DemoData.Instruction> instructions, Path baseFile, int pretrainSteps, PrintStream log) throws Exception {
        List<String> tokText = new ArrayList<>(corpus);
        for (DemoData.Instruction i : instructions.subList(0, 200)) tokText.add(i.instruction() + " " + i.input() + " " + i.output());
        tokText.add(PromptTemplate.ALPACA.promptInput() + PromptTemplate.ALPACA.promptNoInput());
        TokenizerModel tm = DemoTokenizer.train(tokText, 1024);
        Tokenizer tok = Tokenizers.of(tm);
        LlamaConfig c = new LlamaConfig(128, 352, 4, 4, 2, 32, tm.size(), 256, 1e-5f, 10000f, true);
        log.printf("== demo base model: tokenizer of %d pieces; pretraining a LLaMA (d %d, %d layers, %d heads, %d KV heads, %,d parameters) from scratch%n",
                tm.size(), c.dim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.parameterCount());
        LlamaModel init = new LlamaModel(c, LlamaWeights.load(c, gaussian(c, 11), DataType.FLOAT), LinearFactory.FROZEN);
        FullParameters params = new FullParameters(init);
        List<TokenizedExample> seqs = packed(corpus, tok, 64);
        int split = seqs.size() - 64;
        TrainConfig tc = new TrainConfig(16, 16, null, pretrainSteps, 3e-3, TrainConfig.Schedule.COSINE, 30, 0.0, 0.01, TrainConfig.Optimizer.ADAMW, 0.9, 0.95, 1e-8, 1.0, 200, 0,
                1, 5L, false, List.of(), 16, 64);
        Trainer t = new Trainer(tc, params, new AdamW(params, new AdamWSettings(0.9, 0.95, 1e-8, 0.01)),
                LrSchedules.of("cosine", tc.lr(), 30, pretrainSteps), seqs.subList(0, split), seqs.subList(split, seqs.size()), 0,
                baseFile.getParent().resolve("pretrain").toString(), "demo-pretrain", new Trainer.Hooks() {}, log);
        Trainer.Result r = t.run(false, Long.MAX_VALUE);
        log.printf("pretraining: validation loss %.3f → %.3f (perplexity %.1f → %.1f)%n", r.firstValLoss(), r.lastValLoss(), Math.exp(r.firstValLoss()),
                Math.exp(r.lastValLoss()));
        Files.createDirectories(baseFile.getParent());
        LlamaGgufWriter.write(baseFile, "lora4j-demo-base", c, params.model().weights(), tm, QuantPreset.F32, 1);
        log.println("base model written: " + baseFile);
    }

    /** Corpus lines tokenized (BOS line EOS) and concatenated into sequences of {@code len} tokens; none is cut off. */
    private static List<TokenizedExample> packed(List<String> lines, Tokenizer tok, int len) {
        List<TokenizedExample> out = new ArrayList<>();
        List<Integer> cur = new ArrayList<>();
        for (String l : lines) {
            int[] line = tok.encode(l, true);
            if (!cur.isEmpty() && cur.size() + line.length + 1 > len) {
                int[] ids = cur.stream().mapToInt(Integer::intValue).toArray();
                out.add(new TokenizedExample(ids, ids.clone(), "corpus"));
                cur = new ArrayList<>();
            }
            for (int id : line) cur.add(id);
            cur.add(tok.eosId());
        }
        return out;
    }

    private static WeightSource gaussian(LlamaConfig c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return new WeightSource() {
            public float[] read(String name, long... shape) {
                long n = 1;
                for (long s : shape) n *= s;
                float[] v = new float[(int) n];
                boolean norm = name.contains("norm");
                double std = name.contains("o_proj") || name.contains("down_proj") ? 0.02 / Math.sqrt(2 * c.nLayers()) : 0.02;
                for (int i = 0; i < v.length; i++) v[i] = norm ? 1f : (float) (r.nextGaussian() * std);
                return v;
            }

            public boolean contains(String name) {
                return true;
            }

            public String describe() {
                return "random init";
            }
        };
    }

}
