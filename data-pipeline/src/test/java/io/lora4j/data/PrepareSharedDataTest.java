package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.testing.SharedData;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * prepare on the shared Alpaca (English, Chinese) and ShareGPT files with the LLaMA-2 tokenizer: every example's ids
 * equal the core tokenizer's tokenize(template(record)) + EOS, computed here without the job's code; the masks leave
 * exactly the response + EOS; the shards are byte-identical between local[2] and local[1].
 */
class PrepareSharedDataTest {
    static SparkSession spark;
    static Path tokPath;
    static Tokenizer tok;

    @BeforeAll
    static void start() throws Exception {
        tokPath = SharedData.file("tokenizers/llama2_tokenizer.model");
        tok = Tokenizers.load(tokPath);
        spark = PrepareJob.localSession("local[2]");
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    static int index(String source) {
        return Integer.parseInt(source.replaceAll(".*\\[(\\d+)]$", "$1"));
    }

    static int[] withEos(int[] ids) {
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = tok.eosId();
        return out;
    }

    @Test
    void alpacaIdsEqualTheCoreTokenizationOfTheTemplatePlusEos(@TempDir Path tmp) throws Exception {
        // the built-in template is alpaca-lora's file, to the character; the English run reads the file itself
        Path templateFile = SharedData.file("instructions/templates/alpaca_lora_alpaca.json");
        PromptTemplate fromFile = (PromptTemplate) PromptTemplates.resolve(templateFile.toString());
        assertEquals(PromptTemplate.ALPACA.promptInput(), fromFile.promptInput());
        assertEquals(PromptTemplate.ALPACA.promptNoInput(), fromFile.promptNoInput());
        PromptTemplate shortFile = (PromptTemplate) PromptTemplates.resolve(SharedData.file("instructions/templates/alpaca_lora_alpaca_short.json").toString());
        assertEquals(PromptTemplate.ALPACA_SHORT.promptInput(), shortFile.promptInput());
        assertEquals(PromptTemplate.ALPACA_SHORT.promptNoInput(), shortFile.promptNoInput());

        for (String name : new String[] {"alpaca_cleaned_en_1000.json", "alpaca_zh_1000.json"}) {
            Path file = SharedData.file("instructions/" + name);
            String template = name.contains("_en_") ? templateFile.toString() : "alpaca";
            PrepareConfig cfg = new PrepareConfig(List.of(new PrepareConfig.Source(file.toString(), "alpaca", null)), template, 4096, false, 0.05, false, true, 7);
            Path out = tmp.resolve(name);
            PrepareSummary s = PrepareJob.run(spark, cfg, tokPath.toString(), out.toString(), System.out);
            assertEquals(s.read(), s.kept() + s.rejected() + s.duplicates());
            JsonNode records = new ObjectMapper().readTree(file.toFile());
            assertEquals(records.size(), s.read());
            var data = PreparedDataset.open(out.toString());
            List<TokenizedExample> all = new ArrayList<>(data.train());
            all.addAll(data.val());
            assertEquals(s.kept(), all.size());
            assertTrue(s.kept() > 900, s.format());
            for (TokenizedExample e : all) {
                JsonNode r = records.get(index(e.source()));
                String prompt = PromptTemplate.ALPACA.prompt(r.get("instruction").asText(), r.path("input").asText(""));
                String output = r.get("output").asText();
                int[] promptIds = tok.encode(prompt, true);
                assertArrayEquals(withEos(tok.encode(prompt + output, true)), e.inputIds(), e.source());
                for (int i = 0; i < promptIds.length; i++) assertEquals(-100, e.labels()[i], e.source() + ": prompt position " + i + " masked");
                int[] trained = Arrays.copyOfRange(e.labels(), promptIds.length, e.labels().length);
                assertArrayEquals(Arrays.copyOfRange(e.inputIds(), promptIds.length, e.inputIds().length), trained, e.source() + ": the response is trained");
                assertEquals(tok.eosId(), trained[trained.length - 1]);
                assertEquals(output, tok.decode(Arrays.copyOf(trained, trained.length - 1)), e.source() + ": unmasked labels decode to the response");
            }
            assertEquals(tok.fingerprint(), data.manifest().getTokenizerFingerprint());
        }

        // the same bytes from one core
        Path en = SharedData.file("instructions/alpaca_cleaned_en_1000.json");
        PrepareConfig cfg = new PrepareConfig(List.of(new PrepareConfig.Source(en.toString(), "alpaca", null)), templateFile.toString(), 4096, false, 0.05, false,
                true, 7);
        spark.stop();
        spark = PrepareJob.localSession("local[1]");
        PrepareJob.run(spark, cfg, tokPath.toString(), tmp.resolve("en-local1").toString(), System.out);
        PrepareJobTest.assertSameShards(tmp.resolve("alpaca_cleaned_en_1000.json"), tmp.resolve("en-local1"));
    }

    @Test
    void shareGptTrainsOnAssistantTurnsOnly(@TempDir Path tmp) throws Exception {
        Path file = SharedData.file("instructions/sharegpt_dummy_500.json");
        PrepareConfig cfg = new PrepareConfig(List.of(new PrepareConfig.Source(file.toString(), "sharegpt", null)), "chat", 4096, false, 0, false, true, 1);
        PrepareSummary s = PrepareJob.run(spark, cfg, tokPath.toString(), tmp.toString(), System.out);
        JsonNode records = new ObjectMapper().readTree(file.toFile());
        assertEquals(500, s.read());
        assertEquals(s.read(), s.kept() + s.rejected() + s.duplicates());
        assertEquals(0, s.rejected(), s.format());
        List<TokenizedExample> examples = PreparedDataset.open(tmp.toString()).train();
        assertEquals(s.kept(), examples.size());
        for (TokenizedExample e : examples) {
            // expected, built here: BOS, then per round "USER: q ASSISTANT: a" (the first with the system text) + EOS
            JsonNode conv = records.get(index(e.source())).get("conversations");
            List<Integer> ids = new ArrayList<>(List.of(tok.bosId())), labels = new ArrayList<>(List.of(-100));
            for (int t = 0; t < conv.size(); t += 2) {
                assertEquals("human", conv.get(t).get("from").asText());
                assertEquals("gpt", conv.get(t + 1).get("from").asText());
                String prompt = (t == 0 ? VicunaChat.DEFAULT_SYSTEM + " " : "") + "USER: " + conv.get(t).get("value").asText() + " ASSISTANT:";
                int[] p = tok.encode(prompt, false), full = tok.encode(prompt + " " + conv.get(t + 1).get("value").asText(), false);
                assertArrayEquals(p, Arrays.copyOf(full, p.length));
                for (int i = 0; i < full.length; i++) {
                    ids.add(full[i]);
                    labels.add(i < p.length ? -100 : full[i]);
                }
                ids.add(tok.eosId());
                labels.add(tok.eosId());
            }
            assertArrayEquals(ids.stream().mapToInt(Integer::intValue).toArray(), e.inputIds(), e.source());
            assertArrayEquals(labels.stream().mapToInt(Integer::intValue).toArray(), e.labels(), e.source() + ": loss on assistant turns only");
        }
    }
}
