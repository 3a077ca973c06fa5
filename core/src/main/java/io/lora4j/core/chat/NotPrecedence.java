package io.lora4j.core.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites a template so jinjava reads {@code not} as Python's Jinja2 does. In Jinja2 {@code not} binds looser than
 * tests, filters and comparisons ({@code not x is defined} is {@code not (x is defined)}, {@code not a|length == 1} is
 * {@code not ((a|length) == 1)}); jinjava applies it to the operand alone, so Llama-3's {@code not date_string is
 * defined} would always be true. Each unary {@code not} in a tag or expression gets its operand parenthesised up to
 * the next {@code and}, {@code or}, {@code if}, {@code else}, comma or closing bracket at its own depth.
 */
final class NotPrecedence {
    private NotPrecedence() {}

    static String rewrite(String template) {
        StringBuilder out = new StringBuilder(template.length() + 16);
        int i = 0;
        while (i < template.length()) {
            int open = nextOpen(template, i);
            if (open < 0) {
                out.append(template, i, template.length());
                break;
            }
            boolean comment = template.startsWith("{#", open);
            int bodyStart = open + 2;
            int close = comment ? template.indexOf("#}", bodyStart) : closeOf(template, bodyStart, template.charAt(open + 1) == '%' ? "%}" : "}}");
            if (close < 0) { // unterminated: leave it to jinjava to report
                out.append(template, i, template.length());
                break;
            }
            out.append(template, i, bodyStart);
            out.append(comment ? template.substring(bodyStart, close) : rewriteExpression(template.substring(bodyStart, close)));
            i = close;
        }
        return out.toString();
    }

    private static int nextOpen(String t, int from) {
        int best = -1;
        for (String o : new String[] {"{%", "{{", "{#"}) {
            int at = t.indexOf(o, from);
            if (at >= 0 && (best < 0 || at < best)) best = at;
        }
        return best;
    }

    /** The position of the closing delimiter, skipping string literals. */
    private static int closeOf(String t, int from, String delimiter) {
        for (int i = from; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(t, i);
            } else if (t.startsWith(delimiter, i)) {
                return i;
            }
        }
        return -1;
    }

    private static int stringEnd(String t, int quote) {
        char q = t.charAt(quote);
        for (int i = quote + 1; i < t.length(); i++) {
            if (t.charAt(i) == '\\') i++;
            else if (t.charAt(i) == q) return i;
        }
        return t.length() - 1;
    }

    private record Token(String text, int start, int end) {}

    private static List<Token> tokens(String s) {
        List<Token> tokens = new ArrayList<>();
        for (int i = 0; i < s.length(); ) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '\'' || c == '"') {
                int e = stringEnd(s, i) + 1;
                tokens.add(new Token(s.substring(i, e), i, e));
                i = e;
            } else if (Character.isLetterOrDigit(c) || c == '_') {
                int e = i;
                while (e < s.length() && (Character.isLetterOrDigit(s.charAt(e)) || s.charAt(e) == '_')) e++;
                tokens.add(new Token(s.substring(i, e), i, e));
                i = e;
            } else {
                tokens.add(new Token(String.valueOf(c), i, i + 1));
                i++;
            }
        }
        return tokens;
    }

    static String rewriteExpression(String body) {
        List<Token> t = tokens(body);
        int[] opens = new int[body.length() + 1], closes = new int[body.length() + 1];
        boolean changed = false;
        for (int k = 0; k < t.size(); k++) {
            if (!t.get(k).text().equals("not")) continue;
            boolean binary = (k > 0 && t.get(k - 1).text().equals("is")) || (k + 1 < t.size() && t.get(k + 1).text().equals("in"));
            if (binary || k + 1 >= t.size()) continue;
            int depth = 0, end = k + 1;
            for (; end < t.size(); end++) {
                String x = t.get(end).text();
                if (x.equals("(") || x.equals("[") || x.equals("{")) depth++;
                else if (x.equals(")") || x.equals("]") || x.equals("}")) {
                    if (depth == 0) break;
                    depth--;
                } else if (depth == 0 && (x.equals("and") || x.equals("or") || x.equals("if") || x.equals("else") || x.equals(",") || x.equals("-")
                        && end == t.size() - 1)) {
                    break;
                }
            }
            if (end == k + 1) continue;
            opens[t.get(k + 1).start()]++;
            closes[t.get(end - 1).end()]++;
            changed = true;
        }
        if (!changed) return body;
        StringBuilder out = new StringBuilder(body.length() + 8);
        for (int i = 0; i <= body.length(); i++) {
            for (int n = 0; n < closes[i]; n++) out.append(')');
            for (int n = 0; n < opens[i]; n++) out.append('(');
            if (i < body.length()) out.append(body.charAt(i));
        }
        return out.toString();
    }
}
