package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.testing.SharedData;
import io.lora4j.core.tokenizer.Tokenizer;
import io.lora4j.core.tokenizer.Tokenizers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExampleEncoderSharedDataTest {

    @Test
    void idsAreTheTokenizedTemplatePlusEosAndLabelsDecodeToTheResponse() throws Exception {
        Tokenizer tok = Tokenizers.load(SharedData.file("tokenizers/llama2_tokenizer.model"));
        for (String file : new String[] {"instructions/alpaca_cleaned_en_1000.json", "instructions/alpaca_zh_1000.json"}) {
            List<InstructionRecord> records = new ArrayList<>();
            int read = 0;
            PrepareConfig.Source src = new PrepareConfig.Source(SharedData.file(file).toString(), "alpaca", null);
            for (var it = RawRecords.read(SharedData.file(file).toString()); it.hasNext(); read++) {
                RawRecords.Raw raw = it.next();
                RecordParser.Parsed p = RecordParser.parse(RecordParser.JSON.readTree(raw.json()), raw.where(), src, PromptTemplate.ALPACA);
                if (p.record() != null) records.add(p.record());
            }
            assertEquals(1000, read);
            ExampleEncoder enc = new ExampleEncoder(tok, 100_000, false, ExampleEncoder.Truncation.RESPONSE);
            for (InstructionRecord r : records) {
                ExampleEncoder.Result res = enc.encode(r);
                assertTrue(res.kept(), r.source());
                String prompt = r.turns().get(0).text(), response = r.turns().get(1).text();
                int[] expected = tok.encode(prompt + response, true);
                expected = Arrays.copyOf(expected, expected.length + 1);
                expected[expected.length - 1] = tok.eosId();
                assertArrayEquals(expected, res.inputIds(), r.source());
                int[] trained = Arrays.stream(res.labels()).filter(l -> l != io.lora4j.core.model.CausalLmLoss.IGNORE).toArray();
                assertEquals(tok.eosId(), trained[trained.length - 1]);
                assertEquals(response.strip(), tok.decode(Arrays.copyOf(trained, trained.length - 1)).strip(), r.source());
            }
        }
    }

    @Test
    void cutoffTruncatesTheResponseAndKeepsThePrompt() throws Exception {
        Tokenizer tok = Tokenizers.load(SharedData.file("tokenizers/llama2_tokenizer.model"));
        InstructionRecord r = InstructionRecord.alpaca(PromptTemplate.ALPACA, "Count.", "", "one two three four five six seven eight nine ten", "t");
        ExampleEncoder.Result full = new ExampleEncoder(tok, 1000, false, ExampleEncoder.Truncation.RESPONSE).encode(r);
        ExampleEncoder.Result cut = new ExampleEncoder(tok, full.inputIds().length - 5, false, ExampleEncoder.Truncation.RESPONSE).encode(r);
        assertTrue(cut.truncated());
        assertArrayEquals(Arrays.copyOf(full.inputIds(), full.inputIds().length - 5), cut.inputIds());
        assertFalse(new ExampleEncoder(tok, 10, false, ExampleEncoder.Truncation.RESPONSE).encode(r).kept(), "prompt alone does not fit");
        assertEquals("longer than cutoff_len", new ExampleEncoder(tok, full.inputIds().length - 1, false, ExampleEncoder.Truncation.DROP).encode(r).rejectReason());
        ExampleEncoder.Result inputs = new ExampleEncoder(tok, 1000, true, ExampleEncoder.Truncation.RESPONSE).encode(r);
        assertEquals(inputs.inputIds().length - 1, Arrays.stream(inputs.labels()).filter(l -> l != io.lora4j.core.model.CausalLmLoss.IGNORE).count(), "train_on_inputs: all but BOS");
    }
}
