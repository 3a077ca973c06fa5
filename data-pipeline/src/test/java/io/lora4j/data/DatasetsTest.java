package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import io.lora4j.core.config.StrictYaml;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A dataset's settings hash comes from the canonical form of the bound data: section, not from how the YAML was written. */
class DatasetsTest {
    static PrepareConfig bind(String yaml) {
        return StrictYaml.bind(StrictYaml.parse(yaml, "t"), PrepareConfig.class, "t");
    }

    @Test
    void contentHashIgnoresKeyOrderAndSpelledOutDefaultsButNotSettings() {
        PrepareConfig a = bind("sources: [{path: a.json, format: alpaca}]\ncutoff_len: 128\nval_size: 32\n");
        PrepareConfig b = bind("val_size: 32.0\ntemplate: alpaca\ncutoff_len: 128\ndedup: true\nsources: [{format: alpaca, path: a.json}]\n");
        assertEquals(Datasets.contentHash(a, "fp"), Datasets.contentHash(b, "fp"));
        assertNotEquals(Datasets.contentHash(a, "fp"), Datasets.contentHash(bind("sources: [{path: a.json, format: alpaca}]\ncutoff_len: 64\nval_size: 32\n"), "fp"));
        assertNotEquals(Datasets.contentHash(a, "fp"), Datasets.contentHash(a, "another tokenizer"));
        assertNotEquals(Datasets.contentHash(a, "fp"), Datasets.contentHash(a.withSources(List.of(PrepareConfig.Source.of("b.json"))), "fp"));
    }
}
