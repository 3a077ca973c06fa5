package io.lora4j.trainer.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ChunkPlanTest {

    @Test
    void chunksAndFramesTileTheBufferExactlyWithNearEqualChunks() {
        for (int length = 0; length <= 60; length++) {
            for (int ranks = 1; ranks <= 5; ranks++) {
                for (int frame = 1; frame <= 7; frame++) {
                    ChunkPlan plan = new ChunkPlan(length, ranks, frame);
                    int[] covered = new int[length];
                    int min = Integer.MAX_VALUE, max = 0;
                    for (int c = 0; c < ranks; c++) {
                        min = Math.min(min, plan.chunkLength(c));
                        max = Math.max(max, plan.chunkLength(c));
                        assertTrue(plan.frames(c) >= 1);
                        int inChunk = 0;
                        for (int k = 0; k < plan.frames(c); k++) {
                            int n = plan.frameLength(c, k);
                            assertTrue(n >= 0 && n <= frame, "frame length " + n);
                            for (int i = 0; i < n; i++) covered[plan.frameStart(c, k) + i]++;
                            inChunk += n;
                        }
                        assertEquals(plan.chunkLength(c), inChunk);
                    }
                    assertTrue(max - min <= 1, "chunk sizes " + min + ".." + max + " for " + length + "/" + ranks);
                    for (int i = 0; i < length; i++) assertEquals(1, covered[i], "element " + i + " of " + length + "/" + ranks + "/" + frame);
                }
            }
        }
    }

    @Test
    void oneElementOverFourRanksLeavesThreeEmptyChunksWithOneEmptyFrameEach() {
        ChunkPlan plan = new ChunkPlan(1, 4, 256);
        int total = 0;
        for (int c = 0; c < 4; c++) {
            assertEquals(1, plan.frames(c));
            total += plan.chunkLength(c);
        }
        assertEquals(1, total);
    }
}
