package io.lora4j.data;

import io.lora4j.core.model.CausalLmLoss;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Greedy packing in order: examples are appended to the current sequence while it stays within {@code cutoff}
 * tokens; an example that does not fit starts the next sequence (none is split). Each example keeps its own BOS,
 * labels (-100 on its prompt) and EOS, so the loss mask is per example; sources are joined with " + ". The row
 * records its examples' lengths (segments), so training can keep them apart (block-diagonal attention, positions
 * from 0 each); an example's first label is -100 in the row, as its first position is never a target alone.
 */
final class Packer implements Iterator<Encoded> {
    static final String JOIN = " + ";

    private final Iterator<Encoded> in;
    private final int cutoff;
    private Encoded pending;

    Packer(Iterator<Encoded> in, int cutoff) {
        this.in = in;
        this.cutoff = cutoff;
    }

    @Override
    public boolean hasNext() {
        return pending != null || in.hasNext();
    }

    @Override
    public Encoded next() {
        if (!hasNext()) throw new NoSuchElementException();
        List<Encoded> group = new ArrayList<>();
        int length = 0;
        while (pending != null || in.hasNext()) {
            Encoded e = pending != null ? pending : in.next();
            pending = null;
            if (!group.isEmpty() && length + e.inputIds().length > cutoff) {
                pending = e;
                break;
            }
            group.add(e);
            length += e.inputIds().length;
        }
        return group.size() == 1 ? group.get(0) : join(group, length);
    }

    /** Where a {@link Sink} sends rows. */
    interface Out {
        void accept(Encoded row) throws java.io.IOException;
    }

    /** The same greedy packing, pushed: examples in order through {@link #accept}, then {@link #finish}. */
    static final class Sink {
        private final int cutoff;
        private final Out out;
        private final List<Encoded> group = new ArrayList<>();
        private int length;

        Sink(int cutoff, Out out) {
            this.cutoff = cutoff;
            this.out = out;
        }

        void accept(Encoded e) throws java.io.IOException {
            if (!group.isEmpty() && length + e.inputIds().length > cutoff) flush();
            group.add(e);
            length += e.inputIds().length;
        }

        void finish() throws java.io.IOException {
            if (!group.isEmpty()) flush();
        }

        private void flush() throws java.io.IOException {
            out.accept(group.size() == 1 ? group.get(0) : join(group, length));
            group.clear();
            length = 0;
        }
    }

    private static Encoded join(List<Encoded> group, int length) {
        int[] ids = new int[length], labels = new int[length], segments = new int[group.size()];
        StringBuilder where = new StringBuilder();
        int at = 0, i = 0;
        boolean truncated = false;
        for (Encoded e : group) {
            System.arraycopy(e.inputIds(), 0, ids, at, e.inputIds().length);
            System.arraycopy(e.labels(), 0, labels, at, e.labels().length);
            labels[at] = CausalLmLoss.IGNORE; // else the previous example's last token would be trained to predict it
            segments[i++] = e.inputIds().length;
            at += e.inputIds().length;
            if (where.length() > 0) where.append(JOIN);
            where.append(e.where());
            truncated |= e.truncated();
        }
        return new Encoded(group.get(0).hash(), ids, labels, where.toString(), truncated, null, null, segments);
    }
}
