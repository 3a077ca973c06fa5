package io.lora4j.core.ggml;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Float16Test {

    /** Reference: the nearest half found by scanning every finite half (ties to the even pattern). */
    private static short referenceHalf(float f) {
        int sign = Float.floatToRawIntBits(f) < 0 ? 0x8000 : 0;
        double a = Math.abs((double) f);
        if (a >= 65520.0) return (short) (sign | 0x7C00);
        double best = Double.MAX_VALUE;
        int bestBits = 0;
        for (int bits = 0; bits < 0x7C00; bits++) {
            double d = Math.abs(Float16.halfToFloat((short) bits) - a);
            if (d < best || (d == best && (bits & 1) == 0)) {
                best = d;
                bestBits = bits;
            }
        }
        return (short) (sign | bestBits);
    }

    @Test
    void halfRoundTripIsExactForEveryHalf() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = Float16.halfToFloat((short) bits);
            if (Float.isNaN(f)) continue;
            assertEquals((short) bits, Float16.floatToHalf(f), "bits " + Integer.toHexString(bits));
        }
    }

    @Test
    void floatToHalfRoundsToNearestEven() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 300; i++) {
            float f = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-8, 5)));
            assertEquals(referenceHalf(f), Float16.floatToHalf(f), "value " + f);
        }
        assertEquals((short) 0x3C00, Float16.floatToHalf(1f + 0x1p-11f)); // tie → even (down)
        assertEquals((short) 0x3C02, Float16.floatToHalf(1f + 3 * 0x1p-11f)); // tie → even (up)
        assertEquals((short) 0x7C00, Float16.floatToHalf(70000f));
        assertEquals((short) 0xFE00, Float16.floatToHalf(Float.intBitsToFloat(0xFFC00001)));
        assertEquals((short) 0x0001, Float16.floatToHalf(0x1p-24f));
        assertEquals((short) 0x0000, Float16.floatToHalf(0x1p-25f)); // tie → even zero
        assertEquals((short) 0x0001, Float16.floatToHalf(0x1.8p-25f));
    }

    @Test
    void bf16RoundsToNearestEvenAndQuietsNaN() {
        assertEquals((short) 0x3F80, Float16.floatToBf16(1.0f));
        assertEquals((short) 0x3F80, Float16.floatToBf16(Float.intBitsToFloat(0x3F808000))); // tie → even
        assertEquals((short) 0x3F82, Float16.floatToBf16(Float.intBitsToFloat(0x3F818000))); // tie → even (up)
        assertEquals((short) 0x3F81, Float16.floatToBf16(Float.intBitsToFloat(0x3F808001)));
        assertEquals((short) 0x7FC0, Float16.floatToBf16(Float.intBitsToFloat(0x7F800001)));
        assertEquals(1.0f, Float16.bf16ToFloat((short) 0x3F80));
    }
}
