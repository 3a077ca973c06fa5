package io.lora4j.trainer.run;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/** cutoff_len beyond the model's context: a warning naming both numbers, or an error with --strict. */
class ContextLengthWarningTest {
    @Test
    void warnsNamingBothNumbersAndRefusesWhenStrict() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TrainingSession.warnIfLongerThanContext(256, 128, new PrintStream(out, true));
        assertTrue(out.toString().contains("data.cutoff_len = 256") && out.toString().contains("context length 128"), out.toString());
        ByteArrayOutputStream quiet = new ByteArrayOutputStream();
        TrainingSession.warnIfLongerThanContext(128, 128, new PrintStream(quiet, true));
        assertEquals("", quiet.toString());
        System.setProperty("lora4j.strict", "true");
        try {
            var e = assertThrows(IllegalArgumentException.class, () -> TrainingSession.warnIfLongerThanContext(256, 128, new PrintStream(new ByteArrayOutputStream())));
            assertTrue(e.getMessage().contains("--strict"), e.getMessage());
        } finally {
            System.clearProperty("lora4j.strict");
        }
    }
}
