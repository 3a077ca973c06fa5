package io.lora4j.core.model;

import io.lora4j.core.ggml.GgmlDequantizer;
import io.lora4j.core.ggml.GgmlType;
import io.lora4j.core.gguf.GgufFile;
import io.lora4j.core.gguf.GgufFormatException;
import io.lora4j.core.gguf.GgufMetadata;
import io.lora4j.core.gguf.GgufTensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A llama- or qwen2-architecture GGUF as a {@link WeightSource}: Hugging Face names map to GGUF names (REFERENCE.md A.5),
 * quantized tensors are dequantized, and (llama only) Q/K rows are un-permuted back to Hugging Face order, so a GGUF and the
 * HF checkpoint it came from give identical math.
 */
public final class GgufCheckpoint implements WeightSource {
    /** llama.cpp's per-frequency RoPE factors (Llama-3.1 scaling), written by its converter from rope_scaling. */
    public static final String ROPE_FREQS = "rope_freqs.weight";
    private final GgufFile file;
    private final LlamaConfig config;

    private GgufCheckpoint(GgufFile file, LlamaConfig config) {
        this.file = file;
        this.config = config;
    }

    public static GgufCheckpoint of(GgufFile file) throws IOException {
        return new GgufCheckpoint(file, config(file));
    }

    public LlamaConfig config() {
        return config;
    }

    public GgufFile file() {
        return file;
    }

    /** Hyperparameters from the architecture's keys ({@code llama.*} or {@code qwen2.*}), checked the way llama.cpp reads them. */
    public static LlamaConfig config(GgufFile f) throws IOException {
        GgufMetadata m = f.metadata();
        String archName = m.getString("general.architecture");
        Architecture arch = Architecture.fromGguf(archName).orElseThrow(() -> new GgufFormatException(f.path() + ": general.architecture is '"
                + archName + "', lora4j supports " + Architecture.supportedGguf() + " (LLaMA-1/2/3, Mistral, Qwen2/2.5 and their fine-tunes)"));
        if (m.contains("general.type") && !m.getString("general.type").equals("model")) {
            throw new GgufFormatException(f.path() + ": general.type is '" + m.getString("general.type") + "', expected a model (is this a LoRA adapter?)");
        }
        String k = archName + ".";
        int dim = (int) m.getInteger(k + "embedding_length");
        int heads = (int) m.getInteger(k + "attention.head_count");
        int kvHeads = (int) m.getInteger(k + "attention.head_count_kv", heads);
        int layers = (int) m.getInteger(k + "block_count");
        int ff = (int) m.getInteger(k + "feed_forward_length");
        int headDim = (int) m.getInteger(k + "attention.key_length", dim / Math.max(heads, 1));
        GgufTensorInfo emb = f.tensor("token_embd.weight")
                .orElseThrow(() -> new GgufFormatException(f.path() + ": tensor 'token_embd.weight' is missing"));
        int vocab = (int) m.getInteger(k + "vocab_size", emb.ne()[1]);
        int ctx = (int) m.getInteger(k + "context_length");
        float eps = m.getFloat32(k + "attention.layer_norm_rms_epsilon");
        float theta = m.getFloat32(k + "rope.freq_base", 10000f);
        long ropeDims = m.getInteger(k + "rope.dimension_count", headDim);
        if (ropeDims != headDim) {
            throw new GgufFormatException(f.path() + ": " + k + "rope.dimension_count is " + ropeDims + ", expected the head dimension " + headDim + " (partial rotary is not supported)");
        }
        if (m.contains(k + "rope.scaling.type") && !m.getString(k + "rope.scaling.type").equals("none")
                && m.getFloat32(k + "rope.scaling.factor", 1f) != 1f) {
            throw new GgufFormatException(f.path() + ": RoPE scaling '" + m.getString(k + "rope.scaling.type") + "' is not supported yet");
        }
        RopeScaling scaling = null;
        Optional<GgufTensorInfo> freqs = f.tensor(ROPE_FREQS);
        if (freqs.isPresent()) { // Llama-3.1 RoPE scaling: one divisor per rotary pair, as llama.cpp applies it
            if (freqs.get().ne().length != 1 || freqs.get().ne()[0] != headDim / 2) {
                throw new GgufFormatException(f.path() + ": tensor '" + ROPE_FREQS + "' has ne " + Arrays.toString(freqs.get().ne())
                        + ", expected [" + headDim / 2 + "] (one factor per rotary pair)");
            }
            try {
                scaling = RopeScaling.ofFactors(f.readFloats(freqs.get()));
            } catch (IllegalArgumentException e) {
                throw new GgufFormatException(f.path() + ": tensor '" + ROPE_FREQS + "': " + e.getMessage());
            }
        }
        Set<Projection> biases = EnumSet.noneOf(Projection.class);
        for (Projection p : Projection.values()) {
            if (f.tensor("blk.0." + p.ggufName + ".bias").isPresent()) biases.add(p);
        }
        boolean tied = f.tensor("output.weight").isEmpty();
        try {
            return new LlamaConfig(dim, ff, layers, heads, kvHeads, headDim, vocab, ctx, eps, theta, tied, arch, biases, scaling, 0);
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(f.path() + ": " + e.getMessage());
        }
    }

    /** HF tensor name → GGUF tensor name (A.5). */
    public static String ggufName(String hf) {
        if (hf.equals("model.embed_tokens.weight")) return "token_embd.weight";
        if (hf.equals("model.norm.weight")) return "output_norm.weight";
        if (hf.equals("lm_head.weight")) return "output.weight";
        String[] p = hf.split("\\.");
        if (p.length >= 5 && p[0].equals("model") && p[1].equals("layers")) {
            String layer = p[2];
            String rest = String.join(".", Arrays.copyOfRange(p, 3, p.length));
            String g = switch (rest) {
                case "input_layernorm.weight" -> "attn_norm.weight";
                case "post_attention_layernorm.weight" -> "ffn_norm.weight";
                default -> {
                    if (p.length == 6 && (p[5].equals("weight") || p[5].equals("bias"))) yield Projection.fromHfName(p[4]).ggufName + "." + p[5];
                    yield null;
                }
            };
            if (g != null) return "blk." + layer + "." + g;
        }
        throw new IllegalArgumentException("no GGUF name for Hugging Face tensor '" + hf + "'");
    }

    @Override
    public float[] read(String hfName, long... shape) throws IOException {
        GgufTensorInfo t = checkedTensor(hfName, shape.clone());
        requireExpandable(t);
        float[] v = file.readFloats(t);
        if (!config.architecture().ggufPermutesQk()) return v;
        int cols = shape.length == 2 ? (int) shape[1] : 1; // a bias is permuted like a one-column matrix
        if (hfName.contains("q_proj.")) return QkPermutation.toHf(v, config.nHeads(), cols);
        if (hfName.contains("k_proj.")) return QkPermutation.toHf(v, config.nKvHeads(), cols);
        return v;
    }

    /**
     * The matrix as stored: F32 as an fp32 array, every other type lora4j can expand as memory-mapped rows (in parts
     * of under 2 GiB), with llama's Q/K rows mapped back to Hugging Face order through a row index, not a copy.
     */
    @Override
    public FrozenWeight readStored(String hfName, long rows, long cols) throws IOException {
        GgufTensorInfo t = checkedTensor(hfName, new long[] {rows, cols});
        if (t.type() == GgmlType.F32) return WeightSource.super.readStored(hfName, rows, cols);
        requireExpandable(t);
        long rowBytes = t.type().rowBytes(cols);
        long rowsPerPart = Math.max(1, Integer.MAX_VALUE / rowBytes);
        int nParts = (int) ((rows + rowsPerPart - 1) / rowsPerPart);
        ByteBuffer[] parts = new ByteBuffer[nParts];
        for (int i = 0; i < nParts; i++) {
            long r0 = i * rowsPerPart, n = Math.min(rowsPerPart, rows - r0);
            parts[i] = file.tensorBytes(t, r0 * rowBytes, n * rowBytes);
        }
        return new BlockWeight(t.name(), t.type(), rows, cols, parts, rowsPerPart, rowSources(hfName, rows));
    }

    /** Rows per read-and-dequantize task of {@link #readRows}. */
    private static final int ROWS_PER_TASK = 64;

    /**
     * Only the rows asked for, read (not mapped) and dequantized; runs of consecutive rows of the file are read
     * {@value #ROWS_PER_TASK} rows at a time, the pieces in parallel (positional reads; a 7B export's checks read
     * every matrix of two files this way, and on one thread that took most of the export's time). Q/K rows are
     * taken from their GGUF positions, so the result is in Hugging Face order as {@link #read} gives it.
     */
    @Override
    public float[] readRows(String hfName, long rows, long cols, int[] ids) throws IOException {
        GgufTensorInfo t = checkedTensor(hfName, new long[] {rows, cols});
        requireExpandable(t);
        WeightSource.checkRowIds(hfName, rows, ids);
        int[] source = rowSources(hfName, rows);
        int c = Math.toIntExact(cols);
        float[] out = new float[Math.multiplyExact(ids.length, c)];
        List<int[]> pieces = new ArrayList<>(); // {first stored row, first output row, rows}
        WeightSource.forEachRun(ids, source, (first, at, n) -> {
            for (int k = 0; k < n; k += ROWS_PER_TASK) pieces.add(new int[] {first + k, at + k, Math.min(ROWS_PER_TASK, n - k)});
        });
        try {
            pieces.parallelStream().forEach(p -> {
                try {
                    file.readRowsInto(t, p[0], p[2], out, p[1] * c);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        return out;
    }

    /** For llama's Q/K matrices, the GGUF row each Hugging Face row is stored at; null for every other tensor. */
    private int[] rowSources(String hfName, long rows) {
        if (!config.architecture().ggufPermutesQk()) return null;
        if (hfName.contains("q_proj.")) return QkPermutation.hfRowSources((int) rows, config.nHeads());
        if (hfName.contains("k_proj.")) return QkPermutation.hfRowSources((int) rows, config.nKvHeads());
        return null;
    }

    private void requireExpandable(GgufTensorInfo t) throws ModelFormatException {
        if (!GgmlDequantizer.supports(t.type())) {
            throw new ModelFormatException(file.path() + ": tensor '" + t.name() + "' is stored as " + t.type() + ", which lora4j cannot expand"
                    + " (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K); re-quantize the model to one of these");
        }
    }

    private GgufTensorInfo checkedTensor(String hfName, long[] expected) throws GgufFormatException {
        String name = ggufName(hfName);
        GgufTensorInfo t = file.tensor(name).orElseThrow(() -> new GgufFormatException(file.path() + ": tensor '" + name + "' is missing"));
        if (!Arrays.equals(t.shape(), expected)) {
            throw new GgufFormatException(file.path() + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape()) + " (ne "
                    + Arrays.toString(t.ne()) + "), expected " + Arrays.toString(expected));
        }
        return t;
    }

    @Override
    public boolean contains(String hfName) {
        return file.tensor(ggufName(hfName)).isPresent();
    }

    /** GGUF names as Hugging Face names where they have one; rope_freqs.weight is consumed by the config. */
    @Override
    public Optional<Set<String>> tensorNames() {
        Set<String> names = new TreeSet<>();
        for (GgufTensorInfo t : file.tensors()) {
            if (t.name().equals(ROPE_FREQS) && config.ropeScaling() != null) continue;
            names.add(hfName(t.name()).orElse(t.name()));
        }
        return Optional.of(names);
    }

    /** GGUF tensor name → Hugging Face name, the inverse of {@link #ggufName}. */
    static Optional<String> hfName(String gguf) {
        switch (gguf) {
            case "token_embd.weight": return Optional.of("model.embed_tokens.weight");
            case "output_norm.weight": return Optional.of("model.norm.weight");
            case "output.weight": return Optional.of("lm_head.weight");
            default: break;
        }
        String[] p = gguf.split("\\.");
        if (p.length != 4 || !p[0].equals("blk") || !p[1].matches("\\d+")) return Optional.empty();
        String prefix = "model.layers." + p[1] + ".";
        if (p[2].equals("attn_norm") && p[3].equals("weight")) return Optional.of(prefix + "input_layernorm.weight");
        if (p[2].equals("ffn_norm") && p[3].equals("weight")) return Optional.of(prefix + "post_attention_layernorm.weight");
        if (!p[3].equals("weight") && !p[3].equals("bias")) return Optional.empty();
        try {
            Projection proj = Projection.fromGgufName(p[2]);
            return Optional.of(prefix + proj.hfParent + "." + proj.hfName + "." + p[3]);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public String describe() {
        return file.path().toString();
    }

    /** Whether any block weight is stored quantized (merging into such a base loses precision: warn). */
    public Optional<String> quantizedTensorExample() {
        return file.tensors().stream().filter(t -> t.type().isQuantized()).map(t -> t.name() + " (" + t.type() + ")").findFirst();
    }
}
