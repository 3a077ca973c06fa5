package io.lora4j.core.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A Jinja environment set up like transformers' chat-template sandbox: trim_blocks and lstrip_blocks on, and the globals and filters it adds: {@code raise_exception(msg)},
 * {@code strftime_now(fmt)} and {@code tojson} as Python's json.dumps (ensure_ascii=False, indent, separators). Jinjava
 * differs from Python's Jinja2 where these templates would notice, and those places are patched: {@code trim} strips
 * Unicode whitespace like str.strip, and a string {@code is iterable} as in Python.
 */
final class JinjaEnvironment {
    /** What {@code strftime_now is defined} sees; the call itself goes to the registered function. */
    private static final String STRFTIME_MARKER = "strftime_now";
    private final Jinjava jinjava;

    JinjaEnvironment() {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withKeepTrailingNewline(true) // jinjava would cut the output's; ChatTemplate cuts the source's as Jinja2 does
                .withFailOnUnknownTokens(false)
                // jinjava re-renders an output that looks like a template: "{{ 7*7 }}" in a user message became "49"
                // (and "{%" … could fail the whole record); Jinja2 prints variables as they are
                .withNestedInterpretationEnabled(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder() // the Python Jinja2 behaviours
                        .withUseTrimmingForNotesAndExpressions(true) // {{- x }} strips the whitespace before it
                        .withParseWhitespaceControlStrictly(true)
                        .withUseNaturalOperatorPrecedence(true) // "a is not none and not b"
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withKeepNullableLoopValues(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .build())
                .build();
        jinjava = new Jinjava(config);
        jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", JinjaEnvironment.class, "raiseException", Object.class));
        jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now", JinjaEnvironment.class, "strftimeNow", String.class));
        jinjava.registerFilter(new ToJson());
        jinjava.registerFilter(new PyTrim());
        jinjava.registerExpTest(new PyIterable());
    }

    /** Renders the template; a raised exception or any error jinjava reports fails with the template's message. */
    String render(String template, Map<String, Object> vars) {
        Map<String, Object> context = new java.util.HashMap<>(vars);
        context.putIfAbsent(STRFTIME_MARKER, STRFTIME_MARKER);
        RenderResult result;
        try {
            result = jinjava.renderForResult(template, context);
        } catch (RuntimeException e) {
            throw new ChatTemplateException("chat template failed: " + rootMessage(e), e);
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL || e.getException() != null) {
                String msg = e.getException() != null ? rootMessage(e.getException()) : e.getMessage();
                throw new ChatTemplateException("chat template failed: " + msg + " (line " + e.getLineno() + ")", e.getException());
            }
        }
        return result.getOutput();
    }

    private static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) r = r.getCause();
        return r instanceof ChatTemplateException ? r.getMessage() : Objects.toString(r.getMessage(), r.toString());
    }

    /** transformers' raise_exception: the conversation is rejected with the template's message. */
    public static Object raiseException(Object message) {
        throw new ChatTemplateException("the template raised: " + message);
    }

    /** transformers' strftime_now: the local time now, formatted with Python's strftime codes. */
    public static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(), format, Locale.ENGLISH);
    }

    /** {@code x | tojson(indent=4, separators=(",", ": "))}: Python's json.dumps as transformers calls it. */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            Integer n = indent instanceof Number num ? Integer.valueOf(num.intValue()) : indent != null ? Integer.valueOf(indent.toString()) : null;
            String item = null, key = null;
            Object seps = kwargs.get("separators");
            if (seps instanceof java.util.List<?> l && l.size() == 2) {
                item = String.valueOf(l.get(0));
                key = String.valueOf(l.get(1));
            }
            return new PyJson(n, item, key).write(var);
        }
    }

    /** {@code s | trim}: Python's str.strip(), which removes Unicode whitespace (jinjava trims only ASCII controls and space). */
    static final class PyTrim implements Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return pyStrip(String.valueOf(var));
        }
    }

    static String pyStrip(String s) {
        int a = 0, b = s.length();
        while (a < b && isPySpace(s.charAt(a))) a++;
        while (b > a && isPySpace(s.charAt(b - 1))) b--;
        return s.substring(a, b);
    }

    /** Python's str.isspace for one character. */
    static boolean isPySpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085' || (c >= 0x1C && c <= 0x1F);
    }

    /** {@code x is iterable}: in Python a string is iterable too (Llama-3's template relies on it for tool results). */
    static final class PyIterable implements ExpTest {
        @Override
        public String getName() {
            return "iterable";
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var instanceof CharSequence || var instanceof Iterable || var instanceof Map || (var != null && var.getClass().isArray());
        }
    }
}
