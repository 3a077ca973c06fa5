package io.lora4j.cli.demo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The demo's own data, generated deterministically: a small English and Chinese prose corpus to pretrain a tiny
 * base model on, and an instruction set (Alpaca records) in both languages whose answer format the base model has
 * never seen. Held-out instructions are tasks of the instruction set on inputs it never contains.
 */
public final class DemoData {
    // a small world: with 20 nouns and 16 adjectives the 0.8M-parameter base, pretrained for under three minutes,
    // could not copy an English word it was shown (it answered with another word of the same kind); with 10 and 10
    // it copies them and learns the opposites from the prose
    static final String[] NOUNS = {"cat", "dog", "bird", "fish", "tree", "boat", "frog", "king", "lamp", "horse"};
    static final String[] ADJ = {"big", "small", "old", "new", "hot", "cold", "tall", "short", "red", "blue"};
    static final Map<String, String> OPPOSITE = new LinkedHashMap<>();
    static final String[] VERBS = {"sees", "likes", "finds", "has", "wants", "helps"};
    static final String[] NOUNS_ZH = {"猫", "狗", "鸟", "鱼", "树", "球", "船", "星", "月", "花", "书", "马"};
    static final Map<String, String> OPPOSITE_ZH = new LinkedHashMap<>();

    static {
        String[][] pairs = {{"big", "small"}, {"old", "new"}, {"hot", "cold"}, {"tall", "short"}};
        for (String[] p : pairs) {
            OPPOSITE.put(p[0], p[1]);
            OPPOSITE.put(p[1], p[0]);
        }
        String[][] zh = {{"大", "小"}, {"高", "矮"}, {"快", "慢"}, {"冷", "热"}, {"新", "旧"}, {"好", "坏"}};
        for (String[] p : zh) {
            OPPOSITE_ZH.put(p[0], p[1]);
            OPPOSITE_ZH.put(p[1], p[0]);
        }
    }

    private DemoData() {}

    /** Prose lines: little stories, facts about opposites, counting, in English and Chinese. */
    public static List<String> corpus(int lines, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> out = new ArrayList<>(lines);
        String[] adjZh = OPPOSITE_ZH.keySet().toArray(new String[0]);
        String[] opp = OPPOSITE.keySet().toArray(new String[0]);
        for (int i = 0; i < lines; i++) {
            String n1 = pick(r, NOUNS), n2 = pick(r, NOUNS), a1 = pick(r, ADJ), a2 = pick(r, ADJ);
            switch (r.nextInt(10)) {
                case 0 -> out.add("Once upon a time there was a " + a1 + " " + n1 + ". The " + n1 + " " + pick(r, VERBS) + " a " + a2 + " " + n2 + ".");
                case 1 -> out.add("The " + a1 + " " + n1 + " " + pick(r, VERBS) + " the " + a2 + " " + n2 + ". It is a " + pick(r, ADJ) + " day.");
                case 2 -> {
                    String a = pick(r, opp);
                    out.add("The opposite of " + a + " is " + OPPOSITE.get(a) + ". A " + a + " " + n1 + " is not " + OPPOSITE.get(a) + ".");
                }
                case 3 -> {
                    int n = 2 + r.nextInt(8);
                    StringBuilder b = new StringBuilder("The " + n1 + " counts:");
                    for (int k = 1; k <= n; k++) b.append(' ').append(k);
                    out.add(b.append('.').toString());
                }
                case 4 -> out.add("A " + n1 + " and a " + n1 + " are two " + n1 + "s. The " + n2 + " is " + a1 + ".");
                case 5 -> out.add(pick(r, adjZh) + pick(r, NOUNS_ZH) + "喜欢" + pick(r, adjZh) + pick(r, NOUNS_ZH) + "。今天天气很好。");
                case 6 -> {
                    String a = pick(r, adjZh);
                    out.add(a + "的反义词是" + OPPOSITE_ZH.get(a) + "。" + pick(r, NOUNS_ZH) + "很" + a + "。");
                }
                // two kinds of lines with copying in them, so the base model can repeat what it was just shown
                case 8 -> {
                    String w = r.nextBoolean() ? n2 : a2;
                    out.add("The " + n1 + " says: " + w + ", " + w + "! The " + a1 + " " + n2 + " hears it.");
                }
                case 9 -> {
                    String z = pick(r, NOUNS_ZH);
                    out.add(pick(r, NOUNS_ZH) + "说：" + z + z + "！" + z + "听见了。");
                }
                default -> {
                    String z = pick(r, NOUNS_ZH);
                    out.add("从前有一只" + z + "。" + z + "和" + pick(r, NOUNS_ZH) + "是朋友。");
                }
            }
        }
        return out;
    }

    /** One Alpaca-style record. */
    public record Instruction(String instruction, String input, String output) {}

    /**
     * Instruction set for fine-tuning: {@code n} records drawn evenly from seven tasks (the demo config turns
     * deduplication off so that tasks with few distinct inputs keep their share), none equal to a held-out question.
     */
    public static List<Instruction> instructions(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        String[] opp = OPPOSITE.keySet().toArray(String[]::new);
        String[] oppZh = OPPOSITE_ZH.keySet().toArray(String[]::new);
        List<Instruction> heldOut = heldOut();
        List<Instruction> out = new ArrayList<>(n);
        while (out.size() < n) {
            Instruction i = switch (r.nextInt(7)) {
                case 0 -> {
                    String w = r.nextBoolean() ? pick(r, NOUNS) : pick(r, ADJ);
                    yield new Instruction("Repeat the word twice.", w, w + " " + w);
                }
                case 1 -> {
                    String a = pick(r, opp);
                    yield new Instruction("What is the opposite of " + a + "?", "", OPPOSITE.get(a));
                }
                case 2 -> {
                    int from = 1 + r.nextInt(4), to = from + 2 + r.nextInt(6);
                    StringBuilder b = new StringBuilder().append(from);
                    for (int j = from + 1; j <= to; j++) b.append(' ').append(j);
                    yield new Instruction("Count from " + from + " to " + to + ".", "", b.toString());
                }
                case 3 -> {
                    String last = pick(r, NOUNS);
                    yield new Instruction("What is the last word of the sentence?", "The " + pick(r, ADJ) + " " + pick(r, NOUNS) + " " + pick(r, VERBS) + " a "
                            + pick(r, ADJ) + " " + last + ".", last);
                }
                case 4 -> {
                    String z = pick(r, NOUNS_ZH);
                    yield new Instruction("把这个词重复两次。", z, z + z);
                }
                case 5 -> {
                    String a = pick(r, oppZh);
                    yield new Instruction(a + "的反义词是什么？", "", OPPOSITE_ZH.get(a));
                }
                default -> {
                    String first = pick(r, NOUNS_ZH);
                    yield new Instruction("句子的第一个字是什么？", first + "喜欢" + pick(r, NOUNS_ZH) + "。", first);
                }
            };
            boolean asked = heldOut.stream().anyMatch(h -> h.instruction().equals(i.instruction()) && h.input().equals(i.input()));
            if (!asked) out.add(i);
        }
        return out;
    }

    /**
     * Held-out questions: tasks of the instruction set on inputs it never contains — a sentence it never saw, a range
     * it never counted, a word it was never asked to repeat. Answering them takes the skill, not a memorised answer.
     * (Opposites are not asked: with the few pairs of this world, every opposite question is one the fine-tune saw.)
     */
    public static List<Instruction> heldOut() {
        return List.of(new Instruction("Repeat the word twice.", "frog", "frog frog"),
                new Instruction("Count from 1 to 6.", "", "1 2 3 4 5 6"),
                new Instruction("Count from 3 to 9.", "", "3 4 5 6 7 8 9"),
                new Instruction("What is the last word of the sentence?", "The old king sees a red lamp.", "lamp"),
                new Instruction("What is the last word of the sentence?", "The tall tree wants a blue frog.", "frog"),
                new Instruction("把这个词重复两次。", "船", "船船"),
                new Instruction("句子的第一个字是什么？", "马喜欢鱼。", "马"),
                new Instruction("句子的第一个字是什么？", "星喜欢月。", "星"));
    }

    private static String pick(SplittableRandom r, String[] a) {
        return a[r.nextInt(a.length)];
    }
}
