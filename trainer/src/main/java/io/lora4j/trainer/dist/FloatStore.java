package io.lora4j.trainer.dist;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The floats being all-reduced, as the ring sees them: frames are copied out of it (sender thread) and received
 * frames are added or copied into it (receiving thread), always at disjoint places. Two backings: a float[] slice, and
 * a FloatBuffer (e.g. ND4J's direct host buffer), so neither has to be copied whole. A buffer store that also knows
 * its memory as little-endian bytes (the wire order) is sent and, in the all-gather half, received without any copy
 * in user space ({@link #wireView}).
 * Sums are computed as {@code local + received}: the order along the ring is fixed, so results are reproducible.
 */
sealed interface FloatStore permits FloatStore.ArrayStore, FloatStore.BufferStore {

    int length();

    /** Copies {@code count} floats starting at {@code from} to {@code dst[0, count)}. */
    void copyOut(int from, FloatBuffer dst, int count);

    /** Floats added per block in {@link #addIn}: small enough that the block copies stay in the L1 cache. */
    int BLOCK = 2048;

    /** {@code this[at + i] += src[i]} for i in [0, count); {@code scratch} holds at least 2 × {@link #BLOCK} floats. */
    void addIn(int at, FloatBuffer src, int count, float[] scratch);

    /** {@code this[at + i] = src[i]} for i in [0, count). */
    void copyIn(int at, FloatBuffer src, int count);

    /**
     * Floats [from, from + count) as a byte view of this store's own memory in wire order (little-endian), position 0;
     * null where there is none (a float[] or a big-endian buffer), and frames then go through a copy.
     */
    default ByteBuffer wireView(int from, int count) {
        return null;
    }

    record ArrayStore(float[] array, int offset, int length) implements FloatStore {
        @Override
        public void copyOut(int from, FloatBuffer dst, int count) {
            dst.put(0, array, offset + from, count);
        }

        @Override
        public void addIn(int at, FloatBuffer src, int count, float[] scratch) {
            float[] a = array;
            for (int done = 0; done < count; done += BLOCK) { // bulk copy a block out of the direct frame, add it (vectorised)
                int n = Math.min(BLOCK, count - done), base = offset + at + done;
                src.get(done, scratch, 0, n);
                for (int i = 0; i < n; i++) a[base + i] += scratch[i];
            }
        }

        @Override
        public void copyIn(int at, FloatBuffer src, int count) {
            src.get(0, array, offset + at, count);
        }
    }

    /** {@code bytes}, when not null, is the same memory as {@code buffer} (native order), for {@link #wireView}. */
    record BufferStore(FloatBuffer buffer, ByteBuffer bytes) implements FloatStore {
        static BufferStore of(FloatBuffer floats) {
            return new BufferStore(floats, null);
        }

        static BufferStore of(ByteBuffer nativeOrderFloats) {
            return new BufferStore(nativeOrderFloats.slice().order(nativeOrderFloats.order()).asFloatBuffer(),
                    nativeOrderFloats.slice().order(nativeOrderFloats.order()));
        }

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
            // Element-wise access to a direct buffer is not vectorised; bulk copies and a float[] loop are. Blocks that
            // fit in L1 keep the copies cheap: each float is read from memory once and written once.
            for (int done = 0; done < count; done += BLOCK) {
                int n = Math.min(BLOCK, count - done);
                src.get(done, scratch, 0, n);
                buffer.get(at + done, scratch, BLOCK, n);
                for (int i = 0; i < n; i++) scratch[BLOCK + i] += scratch[i];
                buffer.put(at + done, scratch, BLOCK, n);
            }
        }

        @Override
        public void copyIn(int at, FloatBuffer src, int count) {
            buffer.put(at, src, 0, count);
        }

        @Override
        public ByteBuffer wireView(int from, int count) {
            if (bytes == null || bytes.order() != ByteOrder.LITTLE_ENDIAN) return null;
            return bytes.slice(from * Float.BYTES, count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        }
    }
}
