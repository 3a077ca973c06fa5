package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.proto.DatasetManifest;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import io.lora4j.data.PreparedDataset;
import io.lora4j.data.TokenizedExample;
import io.lora4j.core.testing.SharedData;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/** configs/{llama3-chat,qwen2.5-chat,mistral-alpaca}.yaml bind strictly and prepare in the family's chat template with no reject. */
class ChatConfigsSharedDataTest {
    @ParameterizedTest
    @CsvSource({"llama3-chat, llama3, 500, <|begin_of_text|><|start_header_id|>system<|end_header_id|>",
            "qwen2.5-chat, qwen2, 504, <|im_start|>system", "mistral-alpaca, mistral, 1000, <s> [INST] "})
    void configPreparesInTheModelsTemplate(String config, String family, long records, String start, @TempDir Path tmp) throws Exception {
        SharedData.file("families/" + family + "/hf/tokenizer.json"); // skips (or fails with requireShared) without the fixtures
        Path out = tmp.resolve("dataset");
        CliSharedDataTest.Run r = CliSharedDataTest.run("prepare", "--config", Path.of("..", "configs", config + ".yaml").toString(), "--local",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        DatasetManifest m = PreparedDataset.manifest(out.toString());
        assertEquals(records, m.getStageCountsOrThrow("read"));
        // only records whose prompt alone is longer than cutoff_len (Alpaca has a few) may be rejected
        assertTrue(java.util.Set.of("prompt alone exceeds cutoff_len").containsAll(m.getRejectCountsMap().keySet()), r.out());
        assertTrue(m.getStageCountsOrThrow("rejected") < records / 100, r.out());
        assertEquals("chat", m.getTemplateName());
        Tokenizer tok = Tokenizers.load(SharedData.file("families/" + family + "/hf/tokenizer.json"));
        TokenizedExample e = PreparedDataset.open(out.toString()).train().get(0);
        String text = tok.detokenize(e.inputIds(), false, true); // SentencePiece's "▁[INST]" reads back with its space
        assertTrue(text.startsWith(start), text);
        assertTrue(e.countedTokens() > 0 && e.countedTokens() < e.inputIds().length, text);
        assertEquals(-100, e.labels()[0], "the prompt's first token is not trained");
    }
}
