package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.cli.demo.DemoData;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The demo's generated instruction set: deterministic, large enough after deduplication, disjoint from the held-out questions. */
class DemoDataTest {
    @Test
    void instructionSetIsDeterministicVariedAndNeverContainsAHeldOutQuestion() {
        List<DemoData.Instruction> a = DemoData.instructions(2000, 2), b = DemoData.instructions(2000, 2);
        assertEquals(a, b);
        Set<DemoData.Instruction> distinct = new HashSet<>(a);
        assertTrue(distinct.size() >= 400, "distinct records: " + distinct.size()); // prepare deduplicates exact copies
        Set<String> asked = new HashSet<>();
        for (DemoData.Instruction i : a) asked.add(i.instruction() + "|" + i.input());
        for (DemoData.Instruction h : DemoData.heldOut()) assertFalse(asked.contains(h.instruction() + "|" + h.input()), h.toString());
        Set<String> tasks = new HashSet<>();
        for (DemoData.Instruction i : a) tasks.add(i.instruction().replaceAll("[0-9]+", "N").replaceAll("of \\w+\\?", "of X?").replaceAll("^.的反义词", "X的反义词"));
        for (DemoData.Instruction h : DemoData.heldOut()) {
            String t = h.instruction().replaceAll("[0-9]+", "N").replaceAll("of \\w+\\?", "of X?").replaceAll("^.的反义词", "X的反义词");
            assertTrue(tasks.contains(t), "held-out task never taught: " + h.instruction());
        }
    }
}
