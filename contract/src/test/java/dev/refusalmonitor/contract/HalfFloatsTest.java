package dev.refusalmonitor.contract;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HalfFloatsTest {

    /** Independent reference: sign * 2^(e - 15) * (1 + m / 1024), subnormal sign * 2^-14 * (m / 1024), in double. */
    private static double f16Reference(int bits) {
        double sign = (bits & 0x8000) != 0 ? -1 : 1;
        int e = (bits >>> 10) & 0x1f;
        int m = bits & 0x3ff;
        if (e == 0x1f) return m == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
        if (e == 0) return sign * Math.pow(2, -14) * (m / 1024.0);
        return sign * Math.pow(2, e - 15) * (1 + m / 1024.0);
    }

    /** The same for bf16: sign * 2^(e - 127) * (1 + m / 128), subnormal sign * 2^-126 * (m / 128). */
    private static double bf16Reference(int bits) {
        double sign = (bits & 0x8000) != 0 ? -1 : 1;
        int e = (bits >>> 7) & 0xff;
        int m = bits & 0x7f;
        if (e == 0xff) return m == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
        if (e == 0) return sign * Math.pow(2, -126) * (m / 128.0);
        return sign * Math.pow(2, e - 127) * (1 + m / 128.0);
    }

    private static void assertSameFloat(double expected, float actual, String what) {
        if (Double.isNaN(expected)) {
            assertTrue(Float.isNaN(actual), what + ": expected NaN, got " + actual);
        } else {
            // Bit comparison so that -0.0 and 0.0 differ; every reference value is exact in float.
            assertEquals(Float.floatToIntBits((float) expected), Float.floatToIntBits(actual),
                    what + ": expected " + expected + ", got " + actual);
            assertEquals(expected, (double) actual, 0.0, what);
        }
    }

    @Test
    void widensEveryF16BitPatternExactly() {
        for (int h = 0; h < 0x10000; h++)
            assertSameFloat(f16Reference(h), HalfFloats.f16ToFloat((short) h), "f16 0x" + Integer.toHexString(h));
    }

    @Test
    void widensEveryBf16BitPatternExactly() {
        for (int b = 0; b < 0x10000; b++)
            assertSameFloat(bf16Reference(b), HalfFloats.bf16ToFloat((short) b), "bf16 0x" + Integer.toHexString(b));
    }

    @Test
    void narrowingAfterWideningIsIdentityOnEveryF16Value() {
        for (int h = 0; h < 0x10000; h++) {
            short back = HalfFloats.floatToF16(HalfFloats.f16ToFloat((short) h));
            if (Double.isNaN(f16Reference(h))) {
                int b = back & 0xffff;
                assertTrue((b & 0x7c00) == 0x7c00 && (b & 0x3ff) != 0, "NaN 0x" + Integer.toHexString(h) + " stays NaN");
                assertEquals(h & 0x8000, b & 0x8000, "NaN sign");
            } else {
                assertEquals(h, back & 0xffff, "f16 0x" + Integer.toHexString(h));
            }
        }
    }

    @Test
    void narrowingAfterWideningIsIdentityOnEveryBf16Value() {
        for (int b = 0; b < 0x10000; b++) {
            short back = HalfFloats.floatToBf16(HalfFloats.bf16ToFloat((short) b));
            if (Double.isNaN(bf16Reference(b))) assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(back)));
            else assertEquals(b, back & 0xffff, "bf16 0x" + Integer.toHexString(b));
        }
    }

    @Test
    void f16MidpointsRoundToEvenAndNeighboursRoundToNearest() {
        for (int h = 0; h < 0x7bff; h++) { // every pair of adjacent finite non-negative f16 values
            double a = f16Reference(h);
            double b = f16Reference(h + 1);
            float mid = (float) ((a + b) / 2); // 12 significant bits: exact in float
            assertEquals((a + b) / 2, mid, 0.0);
            int even = (h & 1) == 0 ? h : h + 1;
            assertEquals(even, HalfFloats.floatToF16(mid) & 0xffff, "midpoint above 0x" + Integer.toHexString(h));
            assertEquals(even | 0x8000, HalfFloats.floatToF16(-mid) & 0xffff, "negative midpoint");
            assertEquals(h, HalfFloats.floatToF16(Math.nextDown(mid)) & 0xffff, "just below the midpoint");
            assertEquals(h + 1, HalfFloats.floatToF16(Math.nextUp(mid)) & 0xffff, "just above the midpoint");
        }
    }

    @Test
    void f16OverflowGivesInfinityAndTinyValuesGiveZeroOrSubnormal() {
        assertEquals(0x7bff, HalfFloats.floatToF16(65504f) & 0xffff);
        assertEquals(0x7bff, HalfFloats.floatToF16(Math.nextDown(65520f)) & 0xffff, "below the midpoint to 2^16");
        assertEquals(0x7c00, HalfFloats.floatToF16(65520f) & 0xffff, "midpoint 65520 rounds to even = infinity");
        assertEquals(0x7c00, HalfFloats.floatToF16(Float.MAX_VALUE) & 0xffff);
        assertEquals(0xfc00, HalfFloats.floatToF16(-1e6f) & 0xffff);
        assertEquals(0x7c00, HalfFloats.floatToF16(Float.POSITIVE_INFINITY) & 0xffff);
        assertEquals(0xfc00, HalfFloats.floatToF16(Float.NEGATIVE_INFINITY) & 0xffff);
        float minSub = 0x1p-24f;
        assertEquals(0x0001, HalfFloats.floatToF16(minSub) & 0xffff);
        assertEquals(0x0000, HalfFloats.floatToF16(minSub / 2) & 0xffff, "half the smallest subnormal: tie to even 0");
        assertEquals(0x0001, HalfFloats.floatToF16(Math.nextUp(minSub / 2)) & 0xffff);
        assertEquals(0x0000, HalfFloats.floatToF16(minSub / 4) & 0xffff);
        assertEquals(0x8000, HalfFloats.floatToF16(-minSub / 4) & 0xffff, "negative underflow keeps the sign");
        assertEquals(0x0000, HalfFloats.floatToF16(Float.MIN_VALUE) & 0xffff);
        assertEquals(0x0400, HalfFloats.floatToF16(Math.nextDown(0x1p-14f)) & 0xffff, "rounds up to the smallest normal");
        assertEquals(0x0002, HalfFloats.floatToF16(3 * minSub / 2) & 0xffff, "1.5 subnormal units: tie to even 2");
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(Float.NaN))));
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(Float.intBitsToFloat(0x7f800001)))),
                "a NaN whose payload is below f16 precision stays NaN");
    }

    @Test
    void bf16NarrowingRoundsToNearestEven() {
        assertEquals(0x3f80, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3f808000)) & 0xffff, "tie down to even");
        assertEquals(0x3f82, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3f818000)) & 0xffff, "tie up to even");
        assertEquals(0x3f81, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3f808001)) & 0xffff, "above the tie");
        assertEquals(0x3f80, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3f807fff)) & 0xffff, "below the tie");
        assertEquals(0x7f80, HalfFloats.floatToBf16(Float.MAX_VALUE) & 0xffff, "overflow to infinity");
        assertEquals(0xff80, HalfFloats.floatToBf16(-Float.MAX_VALUE) & 0xffff);
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x7f800001)))));
    }

    /** Expected bit patterns from numpy (f16_golden.py beside the resource regenerates them). */
    @Test
    void agreesWithNumpyGoldenValues() throws IOException {
        int narrow = 0;
        int widen = 0;
        try (InputStream in = getClass().getResourceAsStream("f16_golden.txt")) {
            assertNotNull(in, "f16_golden.txt resource");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#") || line.isBlank()) continue;
                String[] f = line.split(" ");
                if (f[0].equals("N")) {
                    float x = Float.intBitsToFloat(Integer.parseUnsignedInt(f[1], 16));
                    assertEquals(Integer.parseInt(f[2], 16), HalfFloats.floatToF16(x) & 0xffff, line);
                    narrow++;
                } else {
                    float expected = Float.intBitsToFloat(Integer.parseUnsignedInt(f[2], 16));
                    float got = HalfFloats.f16ToFloat((short) Integer.parseInt(f[1], 16));
                    if (Float.isNaN(expected)) assertTrue(Float.isNaN(got), line);
                    else assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(got), line);
                    widen++;
                }
            }
        }
        assertEquals(3024, narrow, "narrowing cases in the golden file");
        assertEquals(1014, widen, "widening cases in the golden file");
    }
}
