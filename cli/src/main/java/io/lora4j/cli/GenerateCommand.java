package io.lora4j.cli;

import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.Generator;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.Sampler;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.lora.AdapterLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lora4j generate}: continue a prompt (greedy at temperature 0) with a KV cache. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Continue a prompt with the model (greedy when --temperature is 0).")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--adapter", description = "LoRA adapter: a PEFT directory or a llama.cpp LoRA GGUF")
    Path adapter;

    @Option(names = {"-p", "--prompt"}, required = true, description = "Prompt text")
    String prompt;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "128", description = "Tokens to generate (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = {"-t", "--temperature"}, defaultValue = "0", description = "Sampling temperature; 0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-p", defaultValue = "0.9", description = "Nucleus sampling threshold (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--seed", defaultValue = "42", description = "Sampling seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "Print {prompt_ids, ids, text} as JSON (for comparisons with other runtimes)")
    boolean json;

    @Override
    public Integer call() throws Exception {
        BaseModel base = modelOptions.load();
        Tokenizer tok = base.requireTokenizer();
        LlamaModel model = new LlamaModel(base.config(), base.weights());
        if (adapter != null) model = AdapterLoader.load(adapter, base.config(), 1f).attach(model);
        int[] ids = tok.encode(prompt, true);
        if (ids.length >= base.config().contextLength()) {
            throw new IllegalArgumentException("the prompt has " + ids.length + " tokens, no fewer than the model's context length " + base.config().contextLength()
                    + ": nothing could be generated; shorten it");
        }
        Generator.Output output = Generator.generateWithMargins(model, ids, maxTokens, new Sampler(temperature, topP, seed), tok.eosId());
        int[] gen = output.ids();
        int context = base.config().contextLength();
        boolean sawEos = output.margins().length > gen.length; // the EOS step has a margin but no id
        boolean hitContext = !sawEos && gen.length < maxTokens;
        if (hitContext) {
            System.err.printf("generate: stopped after %d new tokens at the model's context length (%d tokens, prompt %d), not at EOS or --max-tokens %d%n",
                    gen.length, context, ids.length, maxTokens);
        }
        int[] all = new int[ids.length + gen.length];
        System.arraycopy(ids, 0, all, 0, ids.length);
        System.arraycopy(gen, 0, all, ids.length, gen.length);
        if (json) {
            var node = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
            var p = node.putArray("prompt_ids");
            for (int id : ids) p.add(id);
            var g = node.putArray("ids");
            for (int id : gen) g.add(id);
            var m = node.putArray("margins"); // best − second-best logit at each step (the EOS step included)
            for (float f : output.margins()) m.add(f);
            node.put("text", tok.decode(all));
            node.put("stop", sawEos ? "eos" : hitContext ? "context_length" : "max_tokens");
            System.out.println(node);
        } else {
            System.out.println(tok.decode(all));
        }
        return 0;
    }
}
