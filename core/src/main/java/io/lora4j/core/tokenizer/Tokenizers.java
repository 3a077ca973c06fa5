package io.lora4j.core.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufFormatException;
import io.lora4j.core.gguf.GgufMetadata;
import io.lora4j.core.proto.sentencepiece.ModelProto;
import io.lora4j.core.proto.sentencepiece.TrainerSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Loads a tokenizer from a GGUF file, a SentencePiece tokenizer.model, a Hugging Face tokenizer.json, or a model directory. */
public final class Tokenizers {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Tokenizers() {}

    public static Tokenizer of(TokenizerModel m) {
        return m.kind() == TokenizerModel.Kind.SPM ? new SentencePieceBpeTokenizer(m) : new ByteLevelBpeTokenizer(m);
    }

    /** Picks the reader by file name: *.gguf, *.model, tokenizer.json, or a directory holding one of them. */
    public static Tokenizer load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            for (String name : new String[] {"tokenizer.json", "tokenizer.model"}) {
                if (Files.exists(path.resolve(name))) return load(path.resolve(name));
            }
            throw new IOException(path + ": no tokenizer.json or tokenizer.model in this directory");
        }
        String name = path.getFileName().toString();
        if (name.endsWith(".gguf")) {
            try (GgufFile f = GgufFile.open(path)) {
                return of(fromGguf(f.metadata(), path.toString()));
            }
        }
        if (name.endsWith(".json")) return of(fromHfJson(path));
        if (name.endsWith(".model")) return of(fromSentencePiece(path));
        throw new IOException(path + ": unknown tokenizer format (expected a .gguf, tokenizer.model or tokenizer.json)");
    }

    /** From GGUF {@code tokenizer.ggml.*} keys with llama.cpp's defaults (REFERENCE.md A.7). */
    public static TokenizerModel fromGguf(GgufMetadata m, String source) throws IOException {
        if (!m.contains("tokenizer.ggml.model")) throw new GgufFormatException(source + ": no tokenizer metadata (tokenizer.ggml.model is missing)");
        String kind = m.getString("tokenizer.ggml.model");
        String[] tokens = m.getStringArray("tokenizer.ggml.tokens");
        float[] scores = m.contains("tokenizer.ggml.scores") ? m.getFloat32Array("tokenizer.ggml.scores") : new float[tokens.length];
        int[] types;
        if (m.contains("tokenizer.ggml.token_type")) {
            long[] t = m.getIntegerArray("tokenizer.ggml.token_type");
            types = Arrays.stream(t).mapToInt(x -> (int) x).toArray();
        } else {
            types = new int[tokens.length];
            Arrays.fill(types, TokenizerModel.NORMAL);
        }
        boolean spm = kind.equals("llama");
        if (!spm && !kind.equals("gpt2")) throw new GgufFormatException(source + ": tokenizer.ggml.model is '" + kind + "', lora4j supports 'llama' (SentencePiece) and 'gpt2' (byte-level BPE)");
        String pre = m.getString("tokenizer.ggml.pre", "default");
        String[] merges = spm ? new String[0] : m.getStringArray("tokenizer.ggml.merges");
        int n = tokens.length;
        int bos = special(m, "tokenizer.ggml.bos_token_id", spm ? 1 : 11, n);
        int eos = special(m, "tokenizer.ggml.eos_token_id", spm ? 2 : 11, n);
        int unk = special(m, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1, n);
        int pad = special(m, "tokenizer.ggml.padding_token_id", -1, n);
        boolean llama3 = pre.equals("llama3") || pre.equals("llama-bpe") || pre.equals("llama-v3") || pre.equals("falcon3");
        boolean addBos = m.getBool("tokenizer.ggml.add_bos_token", spm || llama3);
        boolean addEos = m.getBool("tokenizer.ggml.add_eos_token", false);
        boolean addSpace = m.getBool("tokenizer.ggml.add_space_prefix", spm);
        Optional<String> chat = m.contains("tokenizer.chat_template") ? Optional.of(m.getString("tokenizer.chat_template")) : Optional.empty();
        return new TokenizerModel(spm ? TokenizerModel.Kind.SPM : TokenizerModel.Kind.BPE, tokens, scores, types, merges, bos, eos, unk, pad,
                addBos, addEos, addSpace, pre, chat);
    }

    private static int special(GgufMetadata m, String key, int fallback, int n) throws IOException {
        long v = m.getInteger(key, fallback);
        return v >= 0 && v < n ? (int) v : -1; // llama.cpp ignores ids outside the vocabulary
    }

    /** From a SentencePiece {@code tokenizer.model} (BPE models; LLaMA-1/2 and their extensions). */
    public static TokenizerModel fromSentencePiece(Path path) throws IOException {
        ModelProto proto;
        try (InputStream in = Files.newInputStream(path)) {
            proto = ModelProto.parseFrom(in);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IOException(path + ": not a SentencePiece model (" + e.getMessage() + ")", e);
        }
        if (proto.getPiecesCount() == 0) throw new IOException(path + ": SentencePiece model has no pieces");
        TrainerSpec spec = proto.getTrainerSpec();
        if (spec.hasModelType() && spec.getModelType() != TrainerSpec.ModelType.BPE) {
            throw new IOException(path + ": SentencePiece model type is " + spec.getModelType() + ", lora4j supports BPE (as LLaMA uses)");
        }
        int n = proto.getPiecesCount();
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            ModelProto.SentencePiece p = proto.getPieces(i);
            tokens[i] = p.getPiece();
            scores[i] = p.getScore();
            types[i] = p.getType().getNumber();
        }
        boolean addSpace = !proto.hasNormalizerSpec() || proto.getNormalizerSpec().getAddDummyPrefix();
        int pad = spec.getPadId() >= 0 && spec.getPadId() < n ? spec.getPadId() : -1;
        return new TokenizerModel(TokenizerModel.Kind.SPM, tokens, scores, types, new String[0], idOrNone(spec.getBosId(), n),
                idOrNone(spec.getEosId(), n), idOrNone(spec.getUnkId(), n), pad, true, false, addSpace, "default", Optional.empty());
    }

    private static int idOrNone(int id, int n) {
        return id >= 0 && id < n ? id : -1;
    }

    /**
     * From a Hugging Face {@code tokenizer.json}: a BPE model with byte_fallback and a "▁" prepend normalizer is the
     * LLaMA SentencePiece vocabulary (scores come from merge ranks: the earlier the merge, the higher the score); a
     * ByteLevel pre-tokenizer means byte-level BPE. Special ids come from tokenizer_config.json beside it when present.
     */
    public static TokenizerModel fromHfJson(Path path) throws IOException {
        JsonNode root = JSON.readTree(path.toFile());
        JsonNode model = root.path("model");
        if (!model.path("type").asText().equals("BPE")) throw new IOException(path + ": model.type is '" + model.path("type").asText() + "', expected BPE");
        JsonNode vocab = model.path("vocab");
        int n = 0;
        for (Iterator<JsonNode> it = vocab.elements(); it.hasNext(); ) n = Math.max(n, it.next().asInt() + 1);
        for (JsonNode t : root.path("added_tokens")) n = Math.max(n, t.path("id").asInt() + 1);
        n = Math.max(n, modelVocabSize(path.resolveSibling("config.json")));
        String[] tokens = new String[n];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            tokens[e.getValue().asInt()] = e.getKey();
        }
        int[] types = new int[n];
        Arrays.fill(types, TokenizerModel.NORMAL);
        Map<String, Integer> specialIds = new HashMap<>();
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").asInt();
            tokens[id] = t.path("content").asText();
            types[id] = t.path("special").asBoolean() || looksSpecial(tokens[id]) ? TokenizerModel.CONTROL : TokenizerModel.USER_DEFINED;
            specialIds.put(tokens[id], id);
        }
        for (int i = 0; i < n; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = TokenizerModel.UNUSED;
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode mg : model.path("merges")) {
            merges.add(mg.isArray() ? mg.get(0).asText() + " " + mg.get(1).asText() : mg.asText());
        }
        boolean byteFallback = model.path("byte_fallback").asBoolean(false);
        String unkText = model.path("unk_token").asText(null);
        int unk = unkText != null && specialIds.containsKey(unkText) ? specialIds.get(unkText) : indexOf(tokens, unkText);
        if (unk >= 0 && types[unk] == TokenizerModel.CONTROL) types[unk] = TokenizerModel.UNKNOWN;
        Config cfg = Config.read(path.resolveSibling("tokenizer_config.json"), tokens);
        if (byteFallback) {
            float[] scores = new float[n];
            Arrays.fill(scores, -1e9f);
            for (int i = 0; i < n; i++) {
                if (tokens[i].matches("<0x[0-9A-F]{2}>")) types[i] = TokenizerModel.BYTE;
                if (tokens[i].codePointCount(0, tokens[i].length()) == 1) scores[i] = 0f;
            }
            Map<String, Integer> ids = new HashMap<>();
            for (int i = 0; i < n; i++) ids.putIfAbsent(tokens[i], i);
            for (int rank = 0; rank < merges.size(); rank++) {
                String mg = merges.get(rank);
                int sp = mg.indexOf(' ', 1);
                Integer id = ids.get(mg.substring(0, sp) + mg.substring(sp + 1));
                if (id != null && scores[id] == -1e9f && !allSpaces(tokens[id])) scores[id] = -rank;
            }
            boolean addSpace = root.path("normalizer").toString().contains("\"Prepend\"") || root.path("pre_tokenizer").toString().contains("Metaspace");
            return new TokenizerModel(TokenizerModel.Kind.SPM, tokens, scores, types, new String[0], cfg.bos(1), cfg.eos(2), unk, cfg.pad(),
                    cfg.addBos(true), cfg.addEos(), addSpace, "default", cfg.chatTemplate());
        }
        // like llama.cpp's converter, ids tokenizer_config.json leaves out come from config.json (Qwen2.5: bos null there, 151643 here)
        int bos = cfg.bos(modelTokenId(path.resolveSibling("config.json"), "bos_token_id", n));
        int eos = cfg.eos(modelTokenId(path.resolveSibling("config.json"), "eos_token_id", n));
        return new TokenizerModel(TokenizerModel.Kind.BPE, tokens, new float[n], types, merges.toArray(new String[0]), bos, eos, unk,
                cfg.pad(), cfg.addBos(bosInPostProcessor(root, tokens, bos)), cfg.addEos(), false, byteLevelPreTokenizer(root.path("pre_tokenizer")),
                cfg.chatTemplate());
    }

    /**
     * The llama.cpp pre-tokenizer name for a byte-level tokenizer.json: a Split on LLaMA-3's pattern is "llama-bpe", a
     * Split on Qwen2's (LLaMA-3's with single digits) is "qwen2", a ByteLevel pre-tokenizer with its own (GPT-2) regex is
     * "gpt-2", anything else llama.cpp's "default".
     */
    static String byteLevelPreTokenizer(JsonNode pre) {
        String json = pre.toString();
        if (json.contains("\"Split\"") && json.contains("\\\\p{N}{1,3}")) return "llama-bpe";
        if (json.contains("\"Split\"") && json.contains("\\\\p{N}| ?")) return "qwen2";
        if (json.contains("\"ByteLevel\"") && !json.contains("\"use_regex\":false")) return "gpt-2";
        return "default";
    }

    /**
     * A piece made only of "▁" (two or more): LLaMA's and Mistral's tokenizer.model give these whitespace pieces score
     * -1e9, below every learned merge, while a tokenizer.json ranks their merges anywhere (transformers 5 puts them
     * first, which would turn "  Hello" into "▁▁" "Hello" instead of SentencePiece's "▁▁" "▁Hello"), so they keep -1e9.
     */
    private static boolean allSpaces(String piece) {
        return piece.length() > 1 && piece.chars().allMatch(c -> c == '\u2581');
    }

    /**
     * The model's vocab_size from config.json beside tokenizer.json, 0 without one: ids past the tokenizer's own (Qwen2.5
     * pads 151665 tokens to 151936 embedding rows) become unused "[PADn]" tokens, as llama.cpp's converter writes them.
     */
    /** A special id from config.json (the first of a list), -1 when absent or outside the vocabulary. */
    private static int modelTokenId(Path config, String key, int n) throws IOException {
        if (!Files.exists(config)) return -1;
        JsonNode v = JSON.readTree(config.toFile()).path(key);
        if (v.isArray()) v = v.path(0);
        return v.canConvertToInt() && v.asInt() >= 0 && v.asInt() < n ? v.asInt() : -1;
    }

    private static int modelVocabSize(Path config) throws IOException {
        if (!Files.exists(config)) return 0;
        JsonNode v = JSON.readTree(config.toFile()).path("vocab_size");
        return v.canConvertToInt() ? v.asInt() : 0;
    }

    /**
     * llama.cpp's converter makes a non-special added token CONTROL when it looks like one ("&lt;|fim_prefix|&gt;" in
     * Qwen2.5), so it is not parsed in user text; the same here, so tokenizer.json and GGUF agree ("&lt;tool_call&gt;"
     * stays user-defined in both).
     */
    private static boolean looksSpecial(String t) {
        return (t.startsWith("<|") && t.endsWith("|>") && t.length() > 4) || (t.startsWith("<\uFF5C") && t.endsWith("\uFF5C>") && t.length() > 4);
    }

    /** Whether the post-processor puts the BOS token first (Llama-3's TemplateProcessing "&lt;|begin_of_text|&gt; $A"). */
    private static boolean bosInPostProcessor(JsonNode root, String[] tokens, int bos) {
        if (bos < 0) return false;
        List<JsonNode> processors = new ArrayList<>();
        JsonNode post = root.path("post_processor");
        if (post.path("type").asText().equals("Sequence")) post.path("processors").forEach(processors::add);
        else processors.add(post);
        for (JsonNode p : processors) {
            if (!p.path("type").asText().equals("TemplateProcessing")) continue;
            JsonNode first = p.path("single").path(0).path("SpecialToken").path("id");
            return first.isTextual() && first.asText().equals(tokens[bos]);
        }
        return false;
    }

    private static int indexOf(String[] tokens, String s) {
        if (s == null) return -1;
        for (int i = 0; i < tokens.length; i++) if (tokens[i].equals(s)) return i;
        return -1;
    }

    /** The parts of tokenizer_config.json that matter for ids: special tokens, add_bos/add_eos, the chat template. */
    private record Config(JsonNode node, String[] tokens) {
        static Config read(Path p, String[] tokens) throws IOException {
            return new Config(Files.exists(p) ? JSON.readTree(p.toFile()) : JSON.createObjectNode(), tokens);
        }

        private int id(String field, int fallback) {
            JsonNode v = node.path(field);
            String text = v.isTextual() ? v.asText() : v.path("content").asText(null);
            if (text == null) return fallback;
            int i = indexOf(tokens, text);
            return i >= 0 ? i : fallback;
        }

        int bos(int fallback) {
            return id("bos_token", fallback);
        }

        int eos(int fallback) {
            return id("eos_token", fallback);
        }

        int pad() {
            return id("pad_token", -1);
        }

        boolean addBos(boolean fallback) {
            return node.path("add_bos_token").asBoolean(fallback);
        }

        boolean addEos() {
            return node.path("add_eos_token").asBoolean(false);
        }

        Optional<String> chatTemplate() {
            JsonNode t = node.path("chat_template");
            return t.isTextual() ? Optional.of(t.asText()) : Optional.empty();
        }
    }
}
