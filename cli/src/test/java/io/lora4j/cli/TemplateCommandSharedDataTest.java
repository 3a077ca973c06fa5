package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lora4j.core.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lora4j template} on the families' chat cases: the text, ids and spans transformers gave. */
class TemplateCommandSharedDataTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode chatCase(String family, String name) throws Exception {
        for (JsonNode c : JSON.readTree(SharedData.file("families/" + family + "/chat_cases.json").toFile()).path("cases")) {
            if (c.path("name").asText().equals(name)) return c;
        }
        throw new AssertionError(family + " has no case " + name);
    }

    @Test
    void qwenToolCallRendersAsTransformersDid(@TempDir Path tmp) throws Exception {
        JsonNode c = chatCase("qwen2", "tool_call");
        ObjectNode file = JSON.createObjectNode();
        file.set("messages", c.get("messages"));
        file.set("tools", c.get("tools"));
        Path messages = Files.writeString(tmp.resolve("m.json"), file.toString());
        String model = SharedData.file("families/qwen2/hf").toString();

        CliSharedDataTest.Run text = CliSharedDataTest.run("template", "--model", model, "--messages", messages.toString());
        assertEquals(0, text.code(), text.err());
        assertEquals(c.path("rendered").asText(), text.out());

        CliSharedDataTest.Run ids = CliSharedDataTest.run("template", "--model", model, "--messages", messages.toString(), "--ids");
        assertEquals(c.path("ids"), JSON.readTree(ids.out()));

        CliSharedDataTest.Run json = CliSharedDataTest.run("template", "--model", model, "--messages", messages.toString(), "--json");
        assertEquals(0, json.code(), json.err());
        JsonNode out = JSON.readTree(json.out());
        assertEquals(c.path("rendered").asText(), out.path("text").asText());
        assertEquals(c.path("ids"), out.path("ids"));
        assertEquals(c.path("assistant_token_mask"), out.path("assistant_token_mask"));
        assertEquals(c.path("assistant_spans").size(), out.path("assistant_spans").size());
        for (int i = 0; i < c.path("assistant_spans").size(); i++) {
            JsonNode want = c.path("assistant_spans").get(i), got = out.path("assistant_spans").get(i);
            for (String k : new String[] {"message_index", "content", "target", "content_text", "target_text"}) assertEquals(want.get(k), got.get(k), k);
        }
    }

    @Test
    void otherKeysAreTemplateVariablesAndTheGenerationPromptOpensTheAssistantTurn(@TempDir Path tmp) throws Exception {
        JsonNode c = chatCase("llama3", "chinese");
        ObjectNode file = JSON.createObjectNode();
        file.set("messages", c.get("messages"));
        file.put("date_string", "26 Jul 2024");
        Path messages = Files.writeString(tmp.resolve("m.json"), file.toString());
        String gguf = SharedData.file("families/llama3/model-f32.gguf").toString();
        CliSharedDataTest.Run text = CliSharedDataTest.run("template", "--model", gguf, "--messages", messages.toString());
        assertEquals(0, text.code(), text.err());
        assertEquals(c.path("rendered").asText(), text.out(), "non-ASCII text and date_string as transformers rendered them");

        Path question = Files.writeString(tmp.resolve("q.json"), "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"date_string\": \"1 Jan 2025\"}");
        CliSharedDataTest.Run prompt = CliSharedDataTest.run("template", "--model", gguf, "--messages", question.toString(), "--generation-prompt");
        assertTrue(prompt.out().endsWith("Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"), prompt.out());
        assertTrue(prompt.out().contains("Today Date: 1 Jan 2025\n"), prompt.out());

        Path bad = Files.writeString(tmp.resolve("bad.json"), "{\"conversations\": []}");
        CliSharedDataTest.Run r = CliSharedDataTest.run("template", "--model", gguf, "--messages", bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("bad.json") && r.err().contains("\"messages\""), r.err());
        CliSharedDataTest.Run none = CliSharedDataTest.run("template", "--model", SharedData.file("tokenizers/llama2_tokenizer.model").toString(), "--messages",
                question.toString());
        assertEquals(1, none.code());
        assertTrue(none.err().contains("has no chat template"), none.err());
    }
}
