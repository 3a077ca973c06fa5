package io.lora4j.trainer;

import io.lora4j.core.config.StrictYaml;
import io.lora4j.core.proto.TrainingState;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Whether a checkpoint may be resumed with the current settings. A checkpoint records the canonical JSON of the
 * settings that shape the trajectory so far (model, tokenizer, data, LoRA, optimizer, batch, learning rate, seed); a
 * refused resume names every key that differs, with both values. Settings that only extend or observe a run
 * (max_steps, epochs, evaluation and checkpoint periods, samples) are left out of that JSON by the caller.
 */
public final class ResumeCheck {
    private ResumeCheck() {}

    public static String hash(String settings) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(settings.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Throws naming each differing key unless {@code state} was written with {@code settings}. */
    public static void require(TrainingState state, String settings, String where) {
        if (state.getConfigHash().equals(hash(settings))) return;
        List<String> diffs = state.getTrajectorySettings().isEmpty() ? List.of() : differences(state.getTrajectorySettings(), settings);
        String what = diffs.isEmpty() ? "settings hash " + state.getConfigHash() + " vs " + hash(settings) : String.join("; ", diffs);
        throw new IllegalStateException("cannot resume from step " + state.getStep() + " in " + where + ": these settings differ from the run's ("
                + what + "). Put them back, or start a new run (another output_dir, or without --resume).");
    }

    /** "key: was X, now Y" for each key whose value differs between two canonical JSON settings. */
    static List<String> differences(String before, String now) {
        Map<String, String> a, b;
        try {
            a = StrictYaml.flatten(before);
            b = StrictYaml.flatten(now);
        } catch (RuntimeException notJson) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>(a.keySet());
        keys.addAll(b.keySet());
        for (String k : keys) {
            String x = a.get(k), y = b.get(k);
            if (x == null ? y != null : !x.equals(y)) out.add(k + ": was " + (x == null ? "(absent)" : x) + ", now " + (y == null ? "(absent)" : y));
        }
        return out;
    }
}
