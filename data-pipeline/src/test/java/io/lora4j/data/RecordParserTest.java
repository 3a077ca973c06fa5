package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Records → turns: Alpaca with field mapping and templates, ShareGPT in the chat template, and the reject reasons. */
class RecordParserTest {
    static final PrepareConfig.Source AUTO = new PrepareConfig.Source("x", "auto", null);

    static RecordParser.Parsed parse(String json, PrepareConfig.Source src, InstructionFormat t) throws Exception {
        return RecordParser.parse(RecordParser.JSON.readTree(json), "f:1", src, t);
    }

    @Test
    void alpacaWithAndWithoutInputUsesTheAlpacaLoraText() throws Exception {
        InstructionRecord r = parse("{\"instruction\": \"Add.\", \"input\": \"2+2\", \"output\": \"4\"}", AUTO, PromptTemplate.ALPACA).record();
        assertEquals(List.of(new InstructionRecord.Turn("Below is an instruction that describes a task, paired with an input that provides further context. "
                + "Write a response that appropriately completes the request.\n\n### Instruction:\nAdd.\n\n### Input:\n2+2\n\n### Response:\n", false),
                new InstructionRecord.Turn("4", true)), r.turns());
        InstructionRecord noInput = parse("{\"instruction\": \"Hi.\", \"input\": \"\", \"output\": \"Hello\"}", AUTO, PromptTemplate.ALPACA).record();
        assertEquals("Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
                + "### Instruction:\nHi.\n\n### Response:\n", noInput.turns().get(0).text());
    }

    @Test
    void fieldMappingReadsDollyNames() throws Exception {
        var dolly = new PrepareConfig.Source("x", "alpaca", Map.of("input", "context", "output", "response"));
        InstructionRecord r = parse("{\"instruction\": \"Q\", \"context\": \"C\", \"response\": \"R\"}", dolly, PromptTemplate.ALPACA_SHORT).record();
        assertEquals("### Instruction:\nQ\n\n### Input:\nC\n\n### Response:\n", r.turns().get(0).text());
        assertEquals("R", r.turns().get(1).text());
        assertEquals("missing field 'response'", parse("{\"instruction\": \"Q\", \"output\": \"R\"}", dolly, PromptTemplate.ALPACA).rejectReason());
    }

    @Test
    void shareGptRendersTheVicunaLayoutWithLossOnAssistantTurns() throws Exception {
        String json = "{\"conversations\": [{\"from\": \"human\", \"value\": \"Hi\"}, {\"from\": \"gpt\", \"value\": \"Hello!\"},"
                + "{\"from\": \"human\", \"value\": \"2+2?\"}, {\"from\": \"gpt\", \"value\": \"4\"}, {\"from\": \"human\", \"value\": \"bye\"}]}";
        InstructionRecord r = parse(json, AUTO, PromptTemplate.ALPACA).record();
        String sys = VicunaChat.DEFAULT_SYSTEM;
        assertEquals(List.of(new InstructionRecord.Turn(sys + " USER: Hi ASSISTANT:", false), new InstructionRecord.Turn(" Hello!", true),
                new InstructionRecord.Turn("USER: 2+2? ASSISTANT:", false), new InstructionRecord.Turn(" 4", true)), r.turns(),
                "a trailing user turn has nothing to train on and is left out");
        InstructionRecord withSystem = parse("{\"conversations\": [{\"from\": \"system\", \"value\": \"Be brief.\"}, {\"from\": \"human\", \"value\": \"Hi\"},"
                + "{\"from\": \"gpt\", \"value\": \"Yo\"}]}", AUTO, PromptTemplate.ALPACA).record();
        assertEquals("Be brief. USER: Hi ASSISTANT:", withSystem.turns().get(0).text());
    }

    @Test
    void alpacaInTheChatTemplate() throws Exception {
        InstructionRecord r = parse("{\"instruction\": \"Sum\", \"input\": \"1 2\", \"output\": \"3\"}", AUTO, VicunaChat.FORMAT).record();
        assertEquals(VicunaChat.DEFAULT_SYSTEM + " USER: Sum\n1 2 ASSISTANT:", r.turns().get(0).text());
        assertEquals(" 3", r.turns().get(1).text());
    }

    @Test
    void rejectReasons() throws Exception {
        String[][] cases = {
                {"[1, 2]", "not a JSON object"},
                {"{\"output\": \"x\"}", "missing field 'instruction'"},
                {"{\"instruction\": \"x\"}", "missing field 'output'"},
                {"{\"instruction\": [\"x\"], \"output\": \"y\"}", "field 'instruction' is ARRAY, expected a string"},
                {"{\"instruction\": \"x\", \"input\": 3, \"output\": \"y\"}", "field 'input' is NUMBER, expected a string"},
                {"{\"instruction\": \"x\", \"output\": \" \\n\"}", "empty response"},
                {"{\"instruction\": \"\", \"output\": \"y\"}", "empty instruction"},
                {"{\"conversations\": []}", "missing or empty 'conversations'"},
                {"{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}]}", "no assistant turn to train on"},
                {"{\"conversations\": [{\"from\": \"human\", \"value\": 5}]}", "a turn has no string 'value'"},
                {"{\"conversations\": [{\"from\": \"robot\", \"value\": \"x\"}]}",
                        "unknown speaker: 'robot' (expected human, gpt, system, function_call or observation, or a mapping in data.sources[].roles)"},
                {"{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"\"}]}", "empty assistant turn"},
        };
        for (String[] c : cases) assertEquals(c[1], parse(c[0], AUTO, PromptTemplate.ALPACA).rejectReason(), c[0]);
        assertEquals("unknown speaker", RecordParser.category("unknown speaker: 'robot' (expected human, gpt or system)"));
        assertEquals("missing field 'output'", RecordParser.category("missing field 'output'"));
    }
}
