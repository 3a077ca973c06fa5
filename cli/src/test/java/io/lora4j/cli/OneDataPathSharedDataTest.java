package io.lora4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.proto.DatasetManifest;
import io.lora4j.core.testing.SharedData;
import io.lora4j.data.PreparedDataset;
import io.lora4j.data.TokenizedExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One data path: the same config gives the same dataset through `train` (in-process prepare), `prepare` (Spark) and
 * `run` (Spark); resuming with a longer max_steps works and a resume with other settings is refused without touching
 * the run directory; `prepare` needs --force to replace a dataset and fails on input with nothing to train on.
 */
class OneDataPathSharedDataTest {
    static Path config(Path dir, String name) throws Exception {
        Path f = dir.resolve(name + ".yaml");
        Files.writeString(f, "name: " + name + "\n"
                + "base_model: " + SharedData.file("models/stories260K.gguf") + "\n"
                + "output_dir: runs/" + name + "\n" // relative: against the config's directory
                + "data:\n  sources: [{path: " + SharedData.file("instructions/alpaca_cleaned_en_1000.json") + "}]\n  cutoff_len: 128\n  val_size: 32\n"
                + "lora: {r: 4, alpha: 8, targets: [q_proj, v_proj]}\n"
                + "train: {micro_batch: 8, batch: 16, max_steps: 4, lr: 1.0e-2, schedule: constant, save_every: 2, max_eval_examples: 8}\n"
                + "distributed: {master: 'local[2]'}\n");
        return f;
    }

    static void assertSameRows(String a, String b) throws Exception {
        PreparedDataset.Content x = PreparedDataset.open(a), y = PreparedDataset.open(b);
        for (int split = 0; split < 2; split++) {
            List<TokenizedExample> p = split == 0 ? x.train() : x.val(), q = split == 0 ? y.train() : y.val();
            assertEquals(p.size(), q.size(), (split == 0 ? "train" : "validation") + " rows of " + a + " and " + b);
            for (int i = 0; i < p.size(); i++) {
                assertEquals(p.get(i).source(), q.get(i).source(), "row " + i);
                assertArrayEquals(p.get(i).inputIds(), q.get(i).inputIds(), "row " + i);
                assertArrayEquals(p.get(i).labels(), q.get(i).labels(), "row " + i);
            }
        }
    }

    @Test
    void trainPrepareAndRunBuildTheSameDataset(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp, "same");
        CliSharedDataTest.Run train = CliSharedDataTest.run("train", "--config", cfg.toString());
        assertEquals(0, train.code(), train.err());
        String trained = tmp.resolve("runs/same/dataset").toString();
        DatasetManifest m = PreparedDataset.manifest(trained);
        assertEquals(32, m.getValRecords(), "val_size: 32 validation examples, as prepare gives (train used to give 6)");
        assertEquals(1000, m.getStageCountsOrThrow("read"));

        CliSharedDataTest.Run prep = CliSharedDataTest.run("prepare", "--config", cfg.toString(), "--out", tmp.resolve("prepared").toString());
        assertEquals(0, prep.code(), prep.err());
        assertSameRows(trained, tmp.resolve("prepared").toString());

        CliSharedDataTest.Run run = CliSharedDataTest.run("run", cfg.toString(), "--set", "output_dir=" + tmp.resolve("run-out"));
        assertEquals(0, run.code(), run.err());
        assertSameRows(trained, tmp.resolve("run-out/dataset").toString());
        assertSameRows(trained, tmp.resolve("prepared").toString());

        // the in-process runner and the Spark job, asked directly
        CliSharedDataTest.Run local = CliSharedDataTest.run("prepare", "--config", cfg.toString(), "--local", "--out", tmp.resolve("local").toString());
        assertEquals(0, local.code(), local.err());
        assertSameRows(tmp.resolve("prepared").toString(), tmp.resolve("local").toString());
    }

    @Test
    void theReadmesResumeWorksAndOtherSettingsAreRefusedNamingEachKey(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp, "resume");
        CliSharedDataTest.Run first = CliSharedDataTest.run("train", "--config", cfg.toString());
        assertEquals(0, first.code(), first.err());
        Path run = tmp.resolve("runs/resume");
        CliSharedDataTest.Run longer = CliSharedDataTest.run("train", "--config", cfg.toString(), "--resume", "--set", "train.max_steps=6",
                "--set", "train.eval_every=2", "--set", "train.keep_checkpoints=5");
        assertEquals(0, longer.code(), longer.err());
        assertTrue(longer.out().contains("resuming from step 4"), longer.out());
        assertTrue(Files.exists(run.resolve("checkpoints/step-000006.pb")));

        String configBefore = Files.readString(run.resolve("config.yaml"));
        long manifestBefore = Files.getLastModifiedTime(run.resolve("dataset/manifest.pb")).toMillis();
        List<String> filesBefore = list(run);
        CliSharedDataTest.Run refused = CliSharedDataTest.run("train", "--config", cfg.toString(), "--resume", "--set", "train.max_steps=8",
                "--set", "train.lr=0.5", "--set", "data.cutoff_len=64");
        assertNotEquals(0, refused.code());
        assertTrue(refused.err().contains("train.lr: was 0.01, now 0.5") && refused.err().contains("data.cutoff_len: was 128, now 64"), refused.err());
        assertEquals(configBefore, Files.readString(run.resolve("config.yaml")), "a refused resume leaves config.yaml alone");
        assertEquals(manifestBefore, Files.getLastModifiedTime(run.resolve("dataset/manifest.pb")).toMillis(), "and the dataset");
        assertEquals(filesBefore, list(run), "and every file");
    }

    @Test
    void prepareNeedsForceToReplaceAndFailsWhenNothingIsLeft(@TempDir Path tmp) throws Exception {
        String model = SharedData.file("models/stories260K.gguf").toString();
        String in = SharedData.file("instructions/alpaca_cleaned_en_1000.json").toString();
        Path out = tmp.resolve("ds");
        CliSharedDataTest.Run a = CliSharedDataTest.run("prepare", "--local", "--input", in, "--model", model, "--out", out.toString(),
                "--set", "data.cutoff_len=200", "--set", "data.val_size=10");
        assertEquals(0, a.code(), a.err());
        DatasetManifest m = PreparedDataset.manifest(out.toString());
        assertEquals(200, m.getCutoffLen(), "--set without --config is honoured");
        assertEquals(10, m.getValRecords());
        CliSharedDataTest.Run again = CliSharedDataTest.run("prepare", "--local", "--input", in, "--model", model, "--out", out.toString());
        assertNotEquals(0, again.code());
        assertTrue(again.err().contains("--force"), again.err());
        assertEquals(200, PreparedDataset.manifest(out.toString()).getCutoffLen(), "the dataset is untouched");
        CliSharedDataTest.Run forced = CliSharedDataTest.run("prepare", "--local", "--input", in, "--model", model, "--out", out.toString(), "--force");
        assertEquals(0, forced.code(), forced.err());
        assertEquals(256, PreparedDataset.manifest(out.toString()).getCutoffLen());

        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"instruction\": \"\", \"output\": \"x\"}\n{\"instruction\": \"hi\", \"output\": \"\"}\n");
        for (String runner : new String[] {"--local", "--master=local[1]"}) {
            CliSharedDataTest.Run none = CliSharedDataTest.run("prepare", runner, "--input", bad.toString(), "--model", model, "--out", tmp.resolve("none" + runner.length()).toString());
            assertNotEquals(0, none.code(), runner);
            assertTrue(none.err().contains("all 2 records") && none.err().contains("rejected") && none.err().contains("empty instruction"), none.err());
        }
        Path empty = tmp.resolve("empty.json");
        Files.writeString(empty, "[]");
        CliSharedDataTest.Run nothing = CliSharedDataTest.run("prepare", "--local", "--input", empty.toString(), "--model", model, "--out", tmp.resolve("e").toString());
        assertNotEquals(0, nothing.code());
        assertTrue(nothing.err().contains("hold no records"), nothing.err());
    }

    private static List<String> list(Path dir) throws Exception {
        try (var s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p) + " " + p.toFile().length() + " " + p.toFile().lastModified()).sorted().toList();
        }
    }

    static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
