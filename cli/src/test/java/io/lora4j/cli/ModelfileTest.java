package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.data.PromptTemplate;
import io.lora4j.export.quant.QuantPreset;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Ollama Modelfile names the exported file and carries the exact training prompt around Ollama's {{ .Prompt }}. */
class ModelfileTest {
    @Test
    void modelfileUsesTheTrainingTemplate(@TempDir Path dir) throws Exception {
        RunCommand.writeModelfile(dir, QuantPreset.Q8_0, PromptTemplate.ALPACA);
        String m = Files.readString(dir.resolve("Modelfile"));
        assertTrue(m.startsWith("FROM ./model.Q8_0.gguf\n"), m);
        String expected = PromptTemplate.ALPACA.prompt("{{ .Prompt }}", "");
        assertTrue(expected.contains("### Instruction:\n{{ .Prompt }}\n\n### Response:\n"), expected);
        assertTrue(m.contains("TEMPLATE \"\"\"" + expected + "\"\"\"\n"), m);
    }
}
