package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DropRepeatsTest {
    static Encoded e(long hash, String where) {
        return new Encoded(hash, new int[] {1}, new int[] {1}, where, false, null, null);
    }

    @Test
    void keepsTheFirstOfEachRunOfEqualHashes() {
        List<Encoded> in = List.of(e(5, "a:1"), e(5, "a:2"), e(5, "b:1"), e(7, "a:3"), e(5, "c:9"), e(0, "d:1"), e(0, "d:2"));
        List<String> out = new ArrayList<>();
        new DropRepeats(in.iterator()).forEachRemaining(x -> out.add(x.where()));
        assertEquals(List.of("a:1", "a:3", "c:9", "d:1"), out, "only adjacent repeats are dropped (sorted input puts all copies together)");
    }
}
