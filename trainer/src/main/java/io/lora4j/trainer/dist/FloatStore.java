package io.lora4j.trainer.dist;

import java.nio.FloatBuffer;

/**
 * The floats being all-reduced, as the ring sees them: frames are copied out of it (sender thread) and received
 * frames are added or copied into it (receiving thread), always at disjoint places. Two backings: a float[] slice, and
 * a FloatBuffer (e.g. ND4J's direct host buffer), so neither has to be copied whole.
 * Sums are computed as {@code local + received}: the order along the ring is fixed, so results are reproducible.
 */
sealed interface FloatStore permits FloatStore.ArrayStore, FloatStore.BufferStore {

    int length();

    /** Copies {@code count} floats starting at {@code from} to {@code dst[0, count)}. */
    void copyOut(int from, FloatBuffer dst, int count);

    /** {@code this[at + i] += src[i]} for i in [0, count); {@code scratch} holds at least 2 × count floats. */
    void addIn(int at, FloatBuffer src, int count, float[] scratch);

    /** {@code this[at + i] = src[i]} for i in [0, count). */
    void copyIn(int at, FloatBuffer src, int count);

    record ArrayStore(float[] array, int offset, int length) implements FloatStore {
        @Override
        public void copyOut(int from, FloatBuffer dst, int count) {
            dst.put(0, array, offset + from, count);
        }

        @Override
        public void addIn(int at, FloatBuffer src, int count, float[] scratch) {
            src.get(0, scratch, 0, count); // bulk copy out of the direct frame, then a loop the JIT vectorises
            float[] a = array;
            int base = offset + at;
            for (int i = 0; i < count; i++) a[base + i] += scratch[i];
        }

        @Override
        public void copyIn(int at, FloatBuffer src, int count) {
            src.get(0, array, offset + at, count);
        }
    }

    record BufferStore(FloatBuffer buffer) implements FloatStore {
        @Override
        public int length() {
            return buffer.limit();
        }

        @Override
        public void copyOut(int from, FloatBuffer dst, int count) {
            dst.put(0, buffer, from, count);
        }

        @Override
        public void addIn(int at, FloatBuffer src, int count, float[] scratch) {
            // Element-wise access to a direct buffer is not vectorised; three bulk copies and a float[] loop are.
            src.get(0, scratch, 0, count);
            buffer.get(at, scratch, count, count);
            for (int i = 0; i < count; i++) scratch[count + i] += scratch[i];
            buffer.put(at, scratch, count, count);
        }

        @Override
        public void copyIn(int at, FloatBuffer src, int count) {
            buffer.put(at, src, 0, count);
        }
    }
}
