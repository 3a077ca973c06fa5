package io.lora4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.cli.demo.DemoData;
import io.lora4j.core.data.PromptTemplate;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.Generator;
import io.lora4j.core.model.LinearFactory;
import io.lora4j.core.model.LlamaConfig;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.LlamaWeights;
import io.lora4j.core.model.ModelLoader;
import io.lora4j.core.model.Sampler;
import io.lora4j.core.model.WeightSource;
import io.lora4j.core.tokenizer.SpmBpeTrainer;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.TokenizerModel;
import io.lora4j.core.tokenizer.Tokenizers;
import io.lora4j.export.Exporter;
import io.lora4j.export.LlamaGgufWriter;
import io.lora4j.export.quant.QuantPreset;
import io.lora4j.lora.AdapterLoader;
import io.lora4j.lora.LoraAdapter;
import io.lora4j.trainer.TrainConfig;
import io.lora4j.trainer.Trainer;
import io.lora4j.trainer.data.TokenizedExample;
import io.lora4j.trainer.optim.AdamW;
import io.lora4j.trainer.optim.AdamWSettings;
import io.lora4j.trainer.optim.LrSchedules;
import io.lora4j.trainer.params.FullParameters;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lora4j demo}: everything from nothing, on a laptop: generate a bilingual corpus and instruction set, build a
 * tokenizer, pretrain a tiny LLaMA from scratch (so the base is a real language model), LoRA-fine-tune it to follow
 * instructions, show base vs fine-tuned answers to held-out instructions, and export a Q8_0 GGUF for llama.cpp.
 */
@Command(name = "demo", description = "Build a tiny base model, fine-tune it on a generated instruction set, compare answers, export GGUF.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/demo", description = "Demo directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--pretrain-steps", defaultValue = "800", description = "Pretraining steps of the base model (default: ${DEFAULT-VALUE})")
    int pretrainSteps;

    @Option(names = "--finetune-steps", defaultValue = "240", description = "LoRA fine-tuning steps (default: ${DEFAULT-VALUE})")
    int finetuneSteps;

    @Option(names = "--fresh", description = "Rebuild the base model even if the demo directory has one")
    boolean fresh;

    @Override
    public Integer call() throws Exception {
        PrintStream log = System.out;
        long t0 = System.nanoTime();
        Files.createDirectories(out);
        Path data = out.resolve("data");
        Files.createDirectories(data);
        List<String> corpus = DemoData.corpus(20000, 1);
        Files.write(data.resolve("corpus.txt"), corpus);
        ObjectMapper json = new ObjectMapper();
        List<DemoData.Instruction> train = DemoData.instructions(2000, 2);
        json.writerWithDefaultPrettyPrinter().writeValue(data.resolve("instructions.json").toFile(), train);
        json.writerWithDefaultPrettyPrinter().writeValue(data.resolve("held_out.json").toFile(), DemoData.heldOut());
        log.printf("== 1/5 data: %,d corpus lines, %,d instructions (English and Chinese) in %s%n", corpus.size(), train.size(), data);

        Path baseFile = out.resolve("base").resolve("model.gguf");
        if (fresh || !Files.exists(baseFile)) {
            pretrain(corpus, train, baseFile, log);
        } else {
            log.println("== 2/5 base model: reusing " + baseFile + " (--fresh to rebuild)");
        }
        BaseModel base = ModelLoader.load(baseFile);
        Tokenizer tok = base.requireTokenizer();

        log.println("== 3/5 LoRA fine-tuning on the instruction set");
        RunConfig cfg = new RunConfig("demo-lora", baseFile.toString(), null, out.resolve("finetune").toString(),
                new RunConfig.Data(List.of(new RunConfig.Source(data.resolve("instructions.json").toString(), "alpaca", null)), null, "alpaca", 256,
                        "response", 0.1, false, false, true, 3),
                new RunConfig.Lora(16, 32, 0.0f, List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), false),
                new TrainConfig(16, 16, 0, finetuneSteps, 3e-3, "cosine", 10, 0, 0, "adamw8bit", 0.9, 0.999, 1e-8, 1.0, 40, 80, 2, 7, false,
                        List.of("What is the opposite of tall?"), 16, 64),
                null, null);
        TrainingSession.Outcome ft = TrainingSession.run(cfg, false, Long.MAX_VALUE, log);

        log.println("== 4/5 held-out instructions: base model vs fine-tuned (greedy)");
        LlamaModel baseModel = new LlamaModel(base.config(), base.weights());
        LoraAdapter adapter = AdapterLoader.load(ft.adapterDir(), base.config(), 1f);
        LlamaModel tuned = adapter.attach(baseModel);
        int correct = 0;
        log.println("| instruction | expected | base model | fine-tuned |");
        log.println("|---|---|---|---|");
        for (DemoData.Instruction q : DemoData.heldOut()) {
            String b = answer(baseModel, tok, q), f = answer(tuned, tok, q);
            if (f.equals(q.output())) correct++;
            log.printf("| %s%s | %s | %s | %s |%n", q.instruction(), q.input().isEmpty() ? "" : " [" + q.input() + "]", q.output(), oneLine(b), oneLine(f));
        }
        log.printf("fine-tuned answers exactly right: %d of %d; validation loss %.3f → %.3f%n", correct, DemoData.heldOut().size(),
                ft.result().firstValLoss(), ft.result().lastValLoss());

        log.println("== 5/5 export");
        List<int[]> eval = new ArrayList<>();
        for (DemoData.Instruction q : DemoData.heldOut()) eval.add(tok.encode(PromptTemplate.ALPACA.prompt(q.instruction(), q.input()) + q.output(), true));
        for (String line : DemoData.corpus(40, 99)) eval.add(tok.encode(line, true));
        Path exportDir = out.resolve("export");
        var rows = Exporter.export(base, adapter, exportDir, new Exporter.Options(List.of(QuantPreset.Q8_0, QuantPreset.F16), true, false, true, eval,
                Runtime.getRuntime().availableProcessors()), log);
        log.print(Exporter.table(rows));
        log.printf("%ndone in %.1f min. Outputs in %s:%n  base model       %s%n  adapter (PEFT)   %s%n  merged GGUF      %s%n  LoRA GGUF        %s%n",
                (System.nanoTime() - t0) / 6e10, out, baseFile, ft.adapterDir(), exportDir.resolve("model.Q8_0.gguf"), exportDir.resolve("adapter.gguf"));
        log.printf("chat with it in llama.cpp:%n  llama-cli -m %s -p \"%s\" -n 24 --temp 0%n", exportDir.resolve("model.Q8_0.gguf"),
                PromptTemplate.ALPACA.prompt("What is the opposite of tall?", "").replace("\n", "\\n"));
        return 0;
    }

    static String answer(LlamaModel model, Tokenizer tok, DemoData.Instruction q) {
        String prompt = PromptTemplate.ALPACA.prompt(q.instruction(), q.input());
        return tok.decode(Generator.generate(model, tok.encode(prompt, true), 16, Sampler.greedy(), tok.eosId())).strip();
    }

    private static String oneLine(String s) {
        String t = s.replace("\n", " ⏎ ").replace("|", "/");
        return t.length() > 48 ? t.substring(0, 48) + "…" : t;
    }

    /** Tokenizer from the corpus, a tiny LLaMA initialised at random, full training on the prose, written as GGUF. */
    private void pretrain(List<String> corpus, List<DemoData.Instruction> instructions, Path baseFile, PrintStream log) throws Exception {
        List<String> tokText = new ArrayList<>(corpus);
        for (DemoData.Instruction i : instructions.subList(0, 200)) tokText.add(i.instruction() + " " + i.input() + " " + i.output());
        tokText.add(PromptTemplate.ALPACA.promptInput() + PromptTemplate.ALPACA.promptNoInput());
        TokenizerModel tm = SpmBpeTrainer.train(tokText, 512);
        Tokenizer tok = Tokenizers.of(tm);
        LlamaConfig c = new LlamaConfig(128, 352, 4, 4, 2, 32, tm.size(), 256, 1e-5f, 10000f, false);
        log.printf("== 2/5 base model: tokenizer of %d pieces; pretraining a LLaMA (d %d, %d layers, %d heads, %d KV heads, %,d parameters) from scratch%n",
                tm.size(), c.dim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.parameterCount());
        LlamaModel init = new LlamaModel(c, LlamaWeights.load(c, gaussian(c, 11), DataType.FLOAT), LinearFactory.FROZEN);
        FullParameters params = new FullParameters(init);
        List<TokenizedExample> seqs = packed(corpus, tok, 64);
        int split = seqs.size() - 64;
        TrainConfig tc = new TrainConfig(16, 16, 0, pretrainSteps, 3e-3, "cosine", 30, 0, 0.01, "adamw", 0.9, 0.95, 1e-8, 1.0, 200, 0, 1, 5, false,
                List.of(), 16, 64);
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

    /** Corpus lines tokenized and concatenated (with EOS between lines) into sequences of about {@code len} tokens. */
    private static List<TokenizedExample> packed(List<String> lines, Tokenizer tok, int len) {
        List<TokenizedExample> out = new ArrayList<>();
        List<Integer> cur = new ArrayList<>(List.of(tok.bosId()));
        for (String l : lines) {
            for (int id : tok.encode(l, false)) cur.add(id);
            cur.add(tok.eosId());
            if (cur.size() >= len) {
                int[] ids = cur.stream().limit(len).mapToInt(Integer::intValue).toArray();
                out.add(new TokenizedExample(ids, ids.clone(), "corpus"));
                cur = new ArrayList<>(List.of(tok.bosId()));
            }
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
