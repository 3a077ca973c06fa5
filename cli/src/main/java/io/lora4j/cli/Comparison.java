package io.lora4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.data.InstructionFormat;
import io.lora4j.trainer.run.GreedyAnswer;
import io.lora4j.core.model.BaseModel;
import io.lora4j.core.model.Generator;
import io.lora4j.core.model.LlamaModel;
import io.lora4j.core.model.Sampler;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.lora.LoraAdapter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code compare:} stage of a run: greedy answers of the base model and of the fine-tuned one to the same
 * instructions, side by side (and against the expected answer when the file has one), written to compare.md for
 * the report. This is where a fine-tune that did nothing shows itself: both columns are the same.
 */
final class Comparison {
    /** One instruction; {@code expected} may be empty. */
    record Prompt(String instruction, String input, String expected) {}

    private Comparison() {}

    /** A JSON array of Alpaca records ({@code instruction}, optional {@code input}, optional {@code output} = expected). */
    static List<Prompt> read(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        if (root == null || !root.isArray()) throw new IOException(file + ": expected a JSON array of {instruction, input, output} records");
        List<Prompt> out = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode r = root.get(i);
            if (!r.path("instruction").isTextual()) throw new IOException(file + ": record " + i + ": expected a string 'instruction'");
            out.add(new Prompt(r.path("instruction").asText(), r.path("input").asText(""), r.path("output").asText("")));
        }
        return out;
    }

    /** Prints the table, writes it to {@code runDir/compare.md}, returns how many fine-tuned answers equal the expected one. */
    static int run(BaseModel base, LoraAdapter adapter, InstructionFormat template, List<Prompt> prompts, int maxNewTokens, Path runDir, PrintStream log)
            throws IOException {
        Tokenizer tok = base.requireTokenizer();
        LlamaModel plain = new LlamaModel(base.config(), base.weights());
        LlamaModel tuned = adapter.attach(plain);
        StringBuilder md = new StringBuilder("| instruction | expected | base model | fine-tuned |\n|---|---|---|---|\n");
        int exact = 0, withExpected = 0;
        for (Prompt p : prompts) {
            String b = answer(plain, tok, template, p.instruction(), p.input(), maxNewTokens);
            String f = answer(tuned, tok, template, p.instruction(), p.input(), maxNewTokens);
            if (!p.expected().isEmpty()) {
                withExpected++;
                if (f.equals(p.expected())) exact++;
            }
            md.append(String.format("| %s%s | %s | %s | %s |%n", cell(p.instruction()), p.input().isEmpty() ? "" : " [" + cell(p.input()) + "]",
                    cell(p.expected()), cell(b), cell(f)));
        }
        if (withExpected > 0) md.append(String.format("%nfine-tuned answers exactly as expected: %d of %d%n", exact, withExpected));
        log.print(md);
        Files.writeString(runDir.resolve("compare.md"), md.toString());
        return exact;
    }

    static String answer(LlamaModel model, Tokenizer tok, InstructionFormat template, String instruction, String input, int maxNewTokens) {
        return GreedyAnswer.of(model, tok, template, instruction, input, maxNewTokens);
    }

    private static String cell(String s) {
        String t = s.replace("\n", " ⏎ ").replace("|", "/");
        return t.length() > 48 ? t.substring(0, 48) + "…" : t;
    }
}
