package io.lora4j.core.chat;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The places where jinjava is made to behave like Python's Jinja2 as transformers sets it up. */
class JinjaEnvironmentTest {
    static String render(String template, Map<String, Object> vars) {
        return new ChatTemplate(template, Map.of(), "<eot>").renderText(List.of(), null, false, vars);
    }

    @Test
    void tojsonIsPythonsJsonDumps() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", 1);
        m.put("a", List.of("x\"y\n", 2.5, 1e-5, 1e16, true));
        m.put("z", null);
        m.put("é", "日本");
        m.put("e", Map.of());
        // key order kept, ", " and ": " separators, Python float repr, non-ASCII unescaped
        assertEquals("{\"b\": 1, \"a\": [\"x\\\"y\\n\", 2.5, 1e-05, 1e+16, true], \"z\": null, \"é\": \"日本\", \"e\": {}}", PyJson.dumps(m));
        assertEquals("{\n  \"b\": 1,\n  \"a\": [\n    \"x\\\"y\\n\",\n    2.5,\n    1e-05,\n    1e+16,\n    true\n  ],\n  \"z\": null,\n  \"é\": \"日本\",\n  \"e\": {}\n}",
                new PyJson(2, null, null).write(m));
        assertEquals("[1, 0.1]", render("{{ x | tojson }}", Map.of("x", List.of(1, 0.1))));
        assertEquals("[\n    1\n]", render("{{ x | tojson(indent=4) }}", Map.of("x", List.of(1))));
        assertEquals("\"\\u0001\"", PyJson.dumps("\u0001"));
        assertEquals("100.0", PyJson.floatRepr(100.0));
        assertEquals("0.0001", PyJson.floatRepr(1e-4));
    }

    @Test
    void aValueThatLooksLikeATemplateIsPrintedAsItIs() {
        String code = "{{ 7*7 }} {% if true %}T{% endif %} {# c #} #{\"q\": 1}";
        assertEquals(code, render("{{ x }}", Map.of("x", code)));
        assertEquals("<" + code + ">", render("{{ '<' + x + '>' }}", Map.of("x", code)));
    }

    @Test
    void notBindsLooserThanTestsFiltersAndComparisons() {
        assertEquals("{% if not (x is defined) %}", NotPrecedence.rewrite("{% if not x is defined %}"));
        assertEquals("{%- if not (a|length == 1) -%}", NotPrecedence.rewrite("{%- if not a|length == 1 -%}"));
        assertEquals("{% if a is not none and not (b) %}", NotPrecedence.rewrite("{% if a is not none and not b %}"));
        assertEquals("{% if x not in y %}'not x' {{ 'not' }}", NotPrecedence.rewrite("{% if x not in y %}'not x' {{ 'not' }}"));
        assertEquals("yes", render("{% if not d is defined %}no{% else %}yes{% endif %}", Map.of("d", "26 Jul 2024")));
        assertEquals("yes", render("{% if not a|length == 1 %}yes{% endif %}", Map.of("a", List.of(1, 2))));
    }

    @Test
    void pythonGlobalsAndTests() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> render("{{ raise_exception('bad roles') }}", Map.of()));
        assertTrue(e.getMessage().contains("bad roles"), e.getMessage());
        assertEquals("a b", render("{{ s | trim }}", Map.of("s", "\u3000 a b\u00a0\n")));
        assertEquals("yes", render("{% if s is iterable %}yes{% endif %}", Map.of("s", "text")));
        assertTrue(render("{{ strftime_now('%Y') }}", Map.of()).matches("20\\d\\d"));
        // trim_blocks + lstrip_blocks, and only the source's final newline goes
        assertEquals("a\nb\n", render("  {% if true %}\na\n  {% endif %}\nb\n\n", Map.of()));
    }

    @Test
    void noneContentIsFalseAndCannotBeConcatenated() {
        ChatTemplate t = new ChatTemplate("{% for m in messages %}{% if m.content %}{{ m.content }}{% else %}-{% endif %}{% endfor %}", Map.of(), "<eot>");
        assertEquals("-hi", t.renderText(List.of(new ChatMessage("assistant", null, List.of(Map.of("type", "function")), null, null),
                ChatMessage.user("hi")), null, false, null));
        ChatTemplate concat = new ChatTemplate("{% for m in messages %}{{ ' ' + m.content }}{% endfor %}", Map.of(), "<eot>");
        assertThrows(ChatTemplateException.class, () -> concat.renderText(List.of(ChatMessage.assistant(null)), null, false, null));
    }
}
