package io.lora4j.data;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Deduplication on records sorted by {@link OrderKey}: equal content means an equal hash and so an equal key, so the
 * copies of a record are adjacent, the one with the smallest position first; only that one is passed on.
 */
final class DropRepeats implements Iterator<Encoded> {
    private final Iterator<Encoded> in;
    private Encoded next;
    private boolean any;
    private long lastHash;

    DropRepeats(Iterator<Encoded> in) {
        this.in = in;
    }

    @Override
    public boolean hasNext() {
        while (next == null && in.hasNext()) {
            Encoded e = in.next();
            if (any && e.hash() == lastHash) continue;
            any = true;
            lastHash = e.hash();
            next = e;
        }
        return next != null;
    }

    @Override
    public Encoded next() {
        if (!hasNext()) throw new NoSuchElementException();
        Encoded e = next;
        next = null;
        return e;
    }
}
