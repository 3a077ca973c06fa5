package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.data.PromptTemplate;
import io.lora4j.core.testing.SharedData;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prepare on the shared Alpaca (English, Chinese) and ShareGPT files with the LLaMA-2 tokenizer. */
class PrepareSharedDataTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = PrepareJob.localSession("local[2]");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void alpacaIdsEqualTheCoreTokenizationOfTheTemplatePlusEos(@TempDir Path tmp) throws Exception {
        Path tokPath = SharedData.file("tokenizers/llama2_tokenizer.model");
        Tokenizer tok = Tokenizers.load(tokPath);
        for (String name : new String[] {"alpaca_cleaned_en_1000.json", "alpaca_zh_1000.json"}) {
            Path file = SharedData.file("instructions/" + name);
            PrepareConfig cfg = new PrepareConfig(List.of(new PrepareConfig.Source(file.toString(), "alpaca", null)), "alpaca", 4096, false, 0, false, true, 1);
            Path out = tmp.resolve(name);
            PrepareSummary s = PrepareJob.run(spark, cfg, tokPath.toString(), out.toString(), System.out);
            assertEquals(s.read(), s.kept() + s.rejected() + s.duplicates());
            JsonNode records = new ObjectMapper().readTree(file.toFile());
            var data = PreparedDataset.read(spark, out.toString());
            assertEquals(s.kept(), data.train().size());
            for (PreparedDataset.Example e : data.train()) {
                int i = Integer.parseInt(e.source().replaceAll(".*\\[(\\d+)]$", "$1"));
                JsonNode r = records.get(i);
                String prompt = PromptTemplate.ALPACA.prompt(r.get("instruction").asText(), r.path("input").asText(""));
                int[] expected = tok.encode(prompt + r.get("output").asText(), true);
                expected = Arrays.copyOf(expected, expected.length + 1);
                expected[expected.length - 1] = tok.eosId();
                assertArrayEquals(expected, e.inputIds(), e.source());
                int[] trained = Arrays.stream(e.labels()).filter(l -> l != -100).toArray();
                assertEquals(r.get("output").asText().strip(), tok.decode(Arrays.copyOf(trained, trained.length - 1)).strip(), e.source());
            }
            assertEquals(tok.fingerprint(), PreparedDataset.manifest(out.toString()).getTokenizerFingerprint());
        }
    }

    @Test
    void shareGptTrainsOnAssistantTurnsOnly(@TempDir Path tmp) throws Exception {
        Path tokPath = SharedData.file("tokenizers/llama2_tokenizer.model");
        Tokenizer tok = Tokenizers.load(tokPath);
        Path file = SharedData.file("instructions/sharegpt_dummy_500.json");
        PrepareConfig cfg = new PrepareConfig(List.of(new PrepareConfig.Source(file.toString(), "sharegpt", null)), "alpaca", 4096, false, 0, false, true, 1);
        PrepareSummary s = PrepareJob.run(spark, cfg, tokPath.toString(), tmp.toString(), System.out);
        assertTrue(s.kept() > 400, s.format());
        JsonNode records = new ObjectMapper().readTree(file.toFile());
        for (PreparedDataset.Example e : PreparedDataset.read(spark, tmp.toString()).train()) {
            JsonNode conv = records.get(Integer.parseInt(e.source().replaceAll(".*\\[(\\d+)]$", "$1"))).get("conversations");
            StringBuilder trainedText = new StringBuilder(), expected = new StringBuilder();
            int[] l = e.labels();
            for (int i = 0; i < l.length; i++) {
                if (l[i] == -100) continue;
                int j = i;
                while (j < l.length && l[j] != -100) j++;
                int[] span = Arrays.copyOfRange(l, i, j);
                assertEquals(tok.eosId(), span[span.length - 1], "every assistant turn ends with EOS");
                trainedText.append(tok.decode(Arrays.copyOf(span, span.length - 1)).strip()).append('|');
                i = j;
            }
            for (JsonNode t : conv) if (t.get("from").asText().equals("gpt")) expected.append(t.get("value").asText().strip()).append('|');
            assertEquals(expected.toString(), trainedText.toString(), e.source());
        }
    }
}
