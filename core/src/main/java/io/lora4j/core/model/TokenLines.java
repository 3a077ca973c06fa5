package io.lora4j.core.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The text and logits formats of llama.cpp's reference outputs (shared/data/reference/README.md):
 * one sequence of space-separated token ids per line, and raw little-endian float32 logits, one row of
 * V values per position of every line, all lines concatenated.
 */
public final class TokenLines {
    private TokenLines() {}

    public static List<int[]> readTokens(Path file) throws IOException {
        List<int[]> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file)) {
            lineNo++;
            String s = line.trim();
            if (s.isEmpty()) continue;
            String[] parts = s.split("\\s+");
            int[] ids = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    ids[i] = Integer.parseInt(parts[i]);
                } catch (NumberFormatException e) {
                    throw new IOException(file + ":" + lineNo + ": token " + (i + 1) + " is '" + parts[i] + "', expected an integer id");
                }
            }
            out.add(ids);
        }
        return out;
    }

    /** Reads {@code rows} rows of {@code vocab} floats; the file must hold exactly that many. */
    public static float[][] readLogits(Path file, int vocab) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long rowBytes = 4L * vocab;
        if (bytes.length % rowBytes != 0) {
            throw new IOException(file + ": " + bytes.length + " bytes is not a whole number of rows of " + vocab + " float32 logits");
        }
        int rows = (int) (bytes.length / rowBytes);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        float[][] out = new float[rows][vocab];
        for (int r = 0; r < rows; r++) {
            b.position((int) (r * rowBytes));
            b.asFloatBuffer().get(out[r]);
        }
        return out;
    }

    /** Appends logits rows as little-endian float32. */
    public static byte[] toBytes(float[][] rows) {
        int vocab = rows.length == 0 ? 0 : rows[0].length;
        ByteBuffer b = ByteBuffer.allocate(rows.length * vocab * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] row : rows) {
            for (float v : row) b.putFloat(v);
        }
        return b.array();
    }
}
