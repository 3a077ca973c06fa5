package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.config.ConfigException;
import io.lora4j.core.config.StrictYaml;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The chat keys of data: bound strictly, and left out of the canonical form (the dataset hash) while unset. */
class PrepareConfigChatTest {
    static PrepareConfig cfg(String template, String chatTemplate, Map<String, Object> vars, Boolean parse, Map<String, String> roles) {
        return new PrepareConfig(List.of(new PrepareConfig.Source("in.json", "auto", null, roles)), null, template, 64, null, 0.0, false, false, true, 1L,
                chatTemplate, vars, parse);
    }

    @Test
    void unsetChatKeysDoNotChangeTheCanonicalForm() {
        String plain = StrictYaml.canonical(new PrepareConfig(List.of(new PrepareConfig.Source("in.json", "auto", null)), "chat", 64, false, 0, false, true, 1));
        assertEquals(plain, StrictYaml.canonical(cfg("chat", null, null, null, null)));
        for (String k : new String[] {"chat_template", "template_vars", "parse_special_tokens", "roles"}) assertFalse(plain.contains(k), k);
        assertTrue(StrictYaml.canonical(cfg("chat", "t.jinja", null, null, null)).contains("\"chat_template\":\"t.jinja\""));
        assertTrue(StrictYaml.canonical(cfg("chat", null, Map.of("date_string", "26 Jul 2024"), null, null)).contains("\"date_string\":\"26 Jul 2024\""));
        assertTrue(StrictYaml.canonical(cfg("chat", null, null, true, null)).contains("\"parse_special_tokens\":true"));
        assertTrue(StrictYaml.canonical(cfg("chat", null, null, null, Map.of("BOT", "assistant"))).contains("\"roles\":{\"BOT\":\"assistant\"}"));
    }

    @Test
    void badChatKeysAreRefusedNamingTheKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> cfg("alpaca", "t.jinja", null, null, null));
        assertTrue(e.getMessage().contains("data.chat_template") && e.getMessage().contains("data.template: chat"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> cfg("chat", null, Map.of("messages", "x"), null, null));
        assertTrue(e.getMessage().contains("data.template_vars.messages"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> cfg("chat", null, null, null, Map.of("BOT", "robot")));
        assertTrue(e.getMessage().contains("data.sources[].roles.BOT"), e.getMessage());
        assertEquals(PrepareConfig.Format.OPENAI, PrepareConfig.Format.parse("openai"));
    }
}
