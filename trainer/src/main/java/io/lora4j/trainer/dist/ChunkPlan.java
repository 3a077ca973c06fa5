package io.lora4j.trainer.dist;

/**
 * How a buffer of {@code length} floats is cut for the ring: {@code ranks} contiguous chunks whose sizes differ by at
 * most one (chunk c is [c·length/ranks, (c+1)·length/ranks)), each sent as frames of at most {@code frameFloats}.
 * Every chunk has at least one frame, possibly empty, so each step of the ring exchanges (and checks) something even
 * when the buffer is shorter than the rank count.
 */
record ChunkPlan(int length, int ranks, int frameFloats) {
    ChunkPlan {
        if (length < 0 || ranks < 1 || frameFloats < 1) {
            throw new IllegalArgumentException("length " + length + ", ranks " + ranks + ", frameFloats " + frameFloats);
        }
    }

    int chunkStart(int chunk) {
        return (int) ((long) length * chunk / ranks);
    }

    int chunkLength(int chunk) {
        return chunkStart(chunk + 1) - chunkStart(chunk);
    }

    int frames(int chunk) {
        int n = chunkLength(chunk);
        return n == 0 ? 1 : (n + frameFloats - 1) / frameFloats;
    }

    int frameStart(int chunk, int frame) {
        return chunkStart(chunk) + frame * frameFloats;
    }

    int frameLength(int chunk, int frame) {
        return Math.min(frameFloats, chunkLength(chunk) - frame * frameFloats);
    }
}
