package io.lora4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Greedy in-order packing: nothing lost or reordered, no row over the cutoff, masks kept per example. */
class PackerTest {

    static Encoded example(int n, int len, int promptLen) {
        int[] ids = IntStream.range(0, len).map(i -> 1000 * n + i).toArray();
        int[] labels = IntStream.range(0, len).map(i -> i < promptLen ? -100 : 1000 * n + i).toArray();
        return new Encoded(n, ids, labels, "f:" + n, false, null, null);
    }

    @Test
    void packsInOrderWithinTheCutoff() {
        int[] lengths = {5, 4, 3, 10, 1, 1, 1, 9, 2};
        List<Encoded> in = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) in.add(example(i, lengths[i], 2));
        List<Encoded> out = new ArrayList<>();
        new Packer(in.iterator(), 10).forEachRemaining(out::add);
        // by hand: 5+4 (then 3 does not fit), 3 (10 does not fit), 10, 1+1+1 (9 does not fit), 9 (2 does not fit), 2
        assertEquals(List.of("f:0 + f:1", "f:2", "f:3", "f:4 + f:5 + f:6", "f:7", "f:8"), out.stream().map(Encoded::where).toList());
        List<Integer> ids = new ArrayList<>(), labels = new ArrayList<>();
        for (Encoded e : out) {
            assertTrue(e.inputIds().length <= 10);
            for (int x : e.inputIds()) ids.add(x);
            for (int x : e.labels()) labels.add(x);
        }
        List<Integer> wantIds = new ArrayList<>(), wantLabels = new ArrayList<>();
        for (Encoded e : in) {
            for (int x : e.inputIds()) wantIds.add(x);
            for (int x : e.labels()) wantLabels.add(x);
        }
        assertEquals(wantIds, ids);
        assertEquals(wantLabels, labels, "each example keeps its own masked prompt");
        // the rows record their examples' lengths (null: one example), written as {length} for an unpacked row
        assertArrayEquals(new int[] {5, 4}, out.get(0).segments());
        assertNull(out.get(1).segments());
        assertArrayEquals(new int[] {3}, out.get(1).segmentLengths());
        assertArrayEquals(new int[] {1, 1, 1}, out.get(3).segments());
    }

    @Test
    void anExamplesFirstLabelIsNeverATargetInAPackedRow() {
        // labels with no masked prompt: the second example's first token must not become the first one's last target
        List<Encoded> in = List.of(example(0, 3, 0), example(1, 4, 0));
        List<Encoded> out = new ArrayList<>();
        new Packer(in.iterator(), 10).forEachRemaining(out::add);
        assertEquals(1, out.size());
        assertArrayEquals(new int[] {-100, 1, 2, -100, 1001, 1002, 1003}, out.get(0).labels());
        TokenizedExample row = new TokenizedExample(out.get(0).inputIds(), out.get(0).labels(), out.get(0).where(), out.get(0).segments());
        assertEquals(2 + 3, row.countedTokens(), "as the two examples alone");
        assertThrows(IllegalArgumentException.class, () -> new TokenizedExample(new int[3], new int[3], "x", new int[] {1, 1}), "segments must cover the row");
    }
}
