package io.lora4j.trainer.run;

import io.lora4j.core.model.Generator;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.Sampler;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.data.InstructionFormat;

/** A model's greedy answer to one instruction in the run's template (evaluation samples and the compare stage). */
public final class GreedyAnswer {
    private GreedyAnswer() {}

    /** Up to EOS or {@code maxNewTokens}, decoded and stripped. */
    public static String of(LlamaModel model, Tokenizer tok, InstructionFormat template, String instruction, String input, int maxNewTokens) {
        int[] ids = template.promptIds(tok, instruction, input);
        return tok.decode(Generator.generate(model, ids, maxNewTokens, Sampler.greedy(), tok.eosId())).strip();
    }
}
