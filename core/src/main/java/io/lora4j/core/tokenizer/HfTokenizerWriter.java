package io.lora4j.core.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a vocabulary as Hugging Face tokenizer files (tokenizer.json, tokenizer_config.json, special_tokens_map.json,
 * and tokenizer.model for a SentencePiece vocabulary the sentencepiece library accepts), built from any {@link TokenizerModel}, so a GGUF or llama2.c base exports
 * to a directory that transformers and lora4j both load, encoding text to the ids lora4j (llama.cpp) gives.
 *
 * <p>SentencePiece vocabularies become a BPE model with byte_fallback whose merges come from the piece scores (every
 * split of a piece into two pieces, ranked by the merged piece's score, as transformers' SentencePiece converter does
 * when given the scores), behind a normalizer that puts "▁" first and turns spaces into "▁": that is SentencePiece's
 * add_dummy_prefix, so " Hello" keeps both spaces ("▁▁Hello"), which a Metaspace pre-tokenizer would not. The config
 * names the generic fast tokenizer class, so transformers runs this tokenizer.json as written instead of rebuilding
 * its own LLaMA pipeline. Byte-level BPE vocabularies keep their merges and get the pre-tokenizer regex of their
 * llama.cpp pre-tokenizer name.
 */
public final class HfTokenizerWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SPACE = "\u2581";
    private static final String LLAMA3_SPLIT =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private HfTokenizerWriter() {}

    /**
     * Writes the files into {@code dir} (created when missing) and returns their paths.
     *
     * @param maxLength the model's context length (tokenizer_config.json's model_max_length)
     * @throws IllegalArgumentException when a byte-level vocabulary's pre-tokenizer has no tokenizer.json form
     */
    public static List<Path> write(Path dir, TokenizerModel m, int maxLength) throws IOException {
        ObjectNode tokenizer = tokenizerJson(m); // fails before anything is written
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        written.add(writeJson(dir.resolve("tokenizer.json"), tokenizer, false));
        written.add(writeJson(dir.resolve("tokenizer_config.json"), tokenizerConfig(m, maxLength), true));
        written.add(writeJson(dir.resolve("special_tokens_map.json"), specialTokensMap(m), true));
        if (m.kind() == TokenizerModel.Kind.SPM && SentencePieceModelWriter.problem(m).isEmpty()) {
            Path model = dir.resolve("tokenizer.model");
            SentencePieceModelWriter.write(model, m);
            written.add(model);
        }
        return written;
    }

    private static Path writeJson(Path p, ObjectNode n, boolean pretty) throws IOException {
        Files.writeString(p, pretty ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) : JSON.writeValueAsString(n));
        return p;
    }

    /** tokenizer.json: the tokenizers library's serialized pipeline. */
    static ObjectNode tokenizerJson(TokenizerModel m) {
        boolean spm = m.kind() == TokenizerModel.Kind.SPM;
        String pre = m.preTokenizer();
        String split = spm ? null : splitRegex(pre);
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < m.size(); i++) {
            if (!isAdded(m, i)) continue;
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", m.tokens()[i]);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", m.tokenTypes()[i] != TokenizerModel.USER_DEFINED);
        }
        if (spm) {
            if (m.addSpacePrefix()) {
                ObjectNode norm = root.putObject("normalizer");
                norm.put("type", "Sequence");
                ArrayNode steps = norm.putArray("normalizers");
                steps.addObject().put("type", "Prepend").put("prepend", SPACE);
                replace(steps.addObject(), " ", SPACE);
            } else {
                replace(root.putObject("normalizer"), " ", SPACE);
            }
            root.putNull("pre_tokenizer");
        } else {
            if (pre.equals("qwen2") || pre.equals("deepseek-r1-qwen")) root.putObject("normalizer").put("type", "NFC");
            else root.putNull("normalizer");
            ObjectNode preTok = root.putObject("pre_tokenizer");
            if (split == null) {
                byteLevel(preTok, false, true, true);
            } else {
                preTok.put("type", "Sequence");
                ArrayNode steps = preTok.putArray("pretokenizers");
                ObjectNode s = steps.addObject();
                s.put("type", "Split");
                s.putObject("pattern").put("Regex", split);
                s.put("behavior", "Isolated");
                s.put("invert", false);
                byteLevel(steps.addObject(), false, true, false);
            }
        }
        root.set("post_processor", postProcessor(m));
        ObjectNode dec = root.putObject("decoder");
        if (spm) {
            dec.put("type", "Sequence");
            ArrayNode steps = dec.putArray("decoders");
            replace(steps.addObject(), SPACE, " ");
            steps.addObject().put("type", "ByteFallback");
            steps.addObject().put("type", "Fuse");
            if (m.addSpacePrefix()) steps.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        } else {
            byteLevel(dec, true, true, true);
        }
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        if (spm && m.unkId() >= 0) model.put("unk_token", m.tokens()[m.unkId()]);
        else model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", spm);
        model.put("byte_fallback", spm);
        model.put("ignore_merges", !spm && ignoresMerges(pre));
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < m.size(); i++) {
            if (!vocab.has(m.tokens()[i])) vocab.put(m.tokens()[i], i); // a duplicate piece keeps its first id, as lookups do
        }
        ArrayNode merges = model.putArray("merges");
        if (spm) {
            for (String[] mg : spmMerges(m)) merges.addArray().add(mg[0]).add(mg[1]);
        } else {
            for (String mg : m.merges()) {
                int sp = mg.indexOf(' ', 1); // llama.cpp splits at the first space after the first character
                if (sp < 0) throw new IllegalArgumentException("merge '" + mg + "' has no space separating its two parts");
                merges.addArray().add(mg.substring(0, sp)).add(mg.substring(sp + 1));
            }
        }
        return root;
    }

    /** Control, unknown and user-defined pieces: matched whole in the text (special ones only as special tokens). */
    private static boolean isAdded(TokenizerModel m, int id) {
        int t = m.tokenTypes()[id];
        return t == TokenizerModel.CONTROL || t == TokenizerModel.UNKNOWN || t == TokenizerModel.USER_DEFINED;
    }

    private static void replace(ObjectNode n, String from, String to) {
        n.put("type", "Replace");
        n.putObject("pattern").put("String", from);
        n.put("content", to);
    }

    private static void byteLevel(ObjectNode n, boolean addPrefixSpace, boolean trimOffsets, boolean useRegex) {
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", addPrefixSpace);
        n.put("trim_offsets", trimOffsets);
        n.put("use_regex", useRegex);
    }

    /** The Split regex of a byte-level pre-tokenizer name; null for GPT-2's, which ByteLevel applies itself. */
    private static String splitRegex(String pre) {
        return switch (pre) {
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe" -> LLAMA3_SPLIT;
            case "qwen2", "deepseek-r1-qwen" -> LLAMA3_SPLIT.replace("\\p{N}{1,3}", "\\p{N}");
            case "gpt-2", "phi-2", "mpt", "olmo", "jais" -> null;
            default -> throw new IllegalArgumentException("byte-level pre-tokenizer '" + pre
                    + "' has no tokenizer.json form in lora4j (supported: llama3/llama-bpe, qwen2, gpt-2)");
        };
    }

    private static boolean ignoresMerges(String pre) {
        return switch (pre) {
            case "llama3", "llama-v3", "llama-bpe", "falcon3" -> true;
            default -> false;
        };
    }

    /** BOS (and EOS) around each sequence when the vocabulary adds them; byte-level vocabularies also map offsets. */
    private static ObjectNode postProcessor(TokenizerModel m) {
        boolean bos = m.addBos() && m.bosId() >= 0, eos = m.addEos() && m.eosId() >= 0;
        ObjectNode template = null;
        if (bos || eos) {
            template = JSON.createObjectNode();
            template.put("type", "TemplateProcessing");
            ArrayNode single = template.putArray("single"), pair = template.putArray("pair");
            for (int seq = 0; seq < 2; seq++) {
                String name = seq == 0 ? "A" : "B";
                if (bos) special(pair, m.tokens()[m.bosId()], seq);
                sequence(pair, name, seq);
                if (eos) special(pair, m.tokens()[m.eosId()], seq);
            }
            if (bos) special(single, m.tokens()[m.bosId()], 0);
            sequence(single, "A", 0);
            if (eos) special(single, m.tokens()[m.eosId()], 0);
            ObjectNode specials = template.putObject("special_tokens");
            for (int id : bos && eos ? new int[] {m.bosId(), m.eosId()} : new int[] {bos ? m.bosId() : m.eosId()}) {
                ObjectNode s = specials.putObject(m.tokens()[id]);
                s.put("id", m.tokens()[id]);
                s.putArray("ids").add(id);
                s.putArray("tokens").add(m.tokens()[id]);
            }
        }
        if (m.kind() == TokenizerModel.Kind.SPM) return template;
        ObjectNode byteLevel = JSON.createObjectNode();
        byteLevel(byteLevel, template != null, false, template != null);
        if (template == null) return byteLevel;
        ObjectNode seq = JSON.createObjectNode();
        seq.put("type", "Sequence");
        seq.putArray("processors").add(byteLevel).add(template);
        return seq;
    }

    private static void special(ArrayNode a, String token, int typeId) {
        a.addObject().putObject("SpecialToken").put("id", token).put("type_id", typeId);
    }

    private static void sequence(ArrayNode a, String name, int typeId) {
        a.addObject().putObject("Sequence").put("id", name).put("type_id", typeId);
    }

    /**
     * The merges that make HF's rank-ordered BPE run SentencePiece's score-ordered one: for every piece a merge can
     * form (not special, user-defined or a byte), each split into two pieces that can take part in merges, ranked by
     * the merged piece's score (higher first); ties by the merged piece's id, then the split's left and right ids.
     */
    static List<String[]> spmMerges(TokenizerModel m) {
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < m.size(); i++) ids.putIfAbsent(m.tokens()[i], i);
        record Merge(String left, String right, float score, int piece, int l, int r) {}
        List<Merge> merges = new ArrayList<>();
        for (int i = 0; i < m.size(); i++) {
            String p = m.tokens()[i];
            if (!mergeable(m, i) || ids.get(p) != i) continue;
            for (int k = p.offsetByCodePoints(0, 1); k < p.length(); k = p.offsetByCodePoints(k, 1)) {
                Integer l = ids.get(p.substring(0, k)), r = ids.get(p.substring(k));
                if (l != null && r != null && mergeable(m, l) && mergeable(m, r)) merges.add(new Merge(p.substring(0, k), p.substring(k), m.scores()[i], i, l, r));
            }
        }
        merges.sort((a, b) -> a.score != b.score ? Float.compare(b.score, a.score)
                : a.piece != b.piece ? Integer.compare(a.piece, b.piece)
                : a.l != b.l ? Integer.compare(a.l, b.l) : Integer.compare(a.r, b.r));
        List<String[]> out = new ArrayList<>(merges.size());
        for (Merge mg : merges) out.add(new String[] {mg.left, mg.right});
        return out;
    }

    private static boolean mergeable(TokenizerModel m, int id) {
        int t = m.tokenTypes()[id];
        return t == TokenizerModel.NORMAL || t == TokenizerModel.UNUSED;
    }

    /** tokenizer_config.json: the special tokens, whether BOS/EOS are added, the context length and the chat template. */
    static ObjectNode tokenizerConfig(TokenizerModel m, int maxLength) {
        ObjectNode c = JSON.createObjectNode();
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        c.put("add_bos_token", m.addBos());
        c.put("add_eos_token", m.addEos());
        tokenOrNull(c, "bos_token", m, m.bosId());
        tokenOrNull(c, "eos_token", m, m.eosId());
        tokenOrNull(c, "unk_token", m, m.unkId());
        tokenOrNull(c, "pad_token", m, m.padId());
        if (m.kind() == TokenizerModel.Kind.SPM) c.put("legacy", true); // "▁" before every text, as SentencePiece
        // llama.cpp (and so lora4j) cleans spaces when detokenizing byte-level BPE except for Qwen2's pre-tokenizer
        boolean clean = m.kind() == TokenizerModel.Kind.BPE && !(m.preTokenizer().equals("qwen2") || m.preTokenizer().equals("deepseek-r1-qwen"));
        c.put("clean_up_tokenization_spaces", clean);
        c.put("model_max_length", maxLength);
        ObjectNode decoder = c.putObject("added_tokens_decoder");
        for (int i = 0; i < m.size(); i++) {
            if (!isAdded(m, i)) continue;
            ObjectNode t = decoder.putObject(Integer.toString(i));
            t.put("content", m.tokens()[i]);
            t.put("lstrip", false);
            t.put("normalized", false);
            t.put("rstrip", false);
            t.put("single_word", false);
            t.put("special", m.tokenTypes()[i] != TokenizerModel.USER_DEFINED);
        }
        m.chatTemplate().ifPresent(t -> c.put("chat_template", t));
        return c;
    }

    private static void tokenOrNull(ObjectNode c, String field, TokenizerModel m, int id) {
        if (id >= 0) c.put(field, m.tokens()[id]);
        else c.putNull(field);
    }

    private static ObjectNode specialTokensMap(TokenizerModel m) {
        ObjectNode c = JSON.createObjectNode();
        String[] fields = {"bos_token", "eos_token", "unk_token", "pad_token"};
        int[] ids = {m.bosId(), m.eosId(), m.unkId(), m.padId()};
        for (int k = 0; k < fields.length; k++) {
            if (ids[k] < 0) continue;
            ObjectNode t = c.putObject(fields[k]);
            t.put("content", m.tokens()[ids[k]]);
            t.put("lstrip", false);
            t.put("normalized", false);
            t.put("rstrip", false);
            t.put("single_word", false);
        }
        return c;
    }
}
