package dev.refusalmonitor.math;

import dev.refusalmonitor.math.testing.Tolerances;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The deterministic f32 tanh of the CAST kernel: accuracy on a dense sweep, special values, lane = scalar bits. */
class FloatTanhTest {
    /** Bit pattern of 20f: the sweep covers [0, 20] and, by sign, [-20, 0]. */
    private static final int BITS_OF_20 = Float.floatToRawIntBits(20f);

    @Test
    void everySixtyFourthFloatInPlusMinusTwentyIsWithinTheBound() {
        double worst = 0;
        float worstAt = 0;
        for (int bits = 0; bits <= BITS_OF_20; bits += 64) {
            float y = Float.intBitsToFloat(bits);
            float t = FloatKernels.tanh(y);
            double e = Math.abs(t - Math.tanh(y));
            if (e > worst) {
                worst = e;
                worstAt = y;
            }
            float tn = FloatKernels.tanh(-y);
            // odd bit for bit: the negative half has the same error
            if (Float.floatToRawIntBits(tn) != Float.floatToRawIntBits(-t)) fail("tanh(-y) != -tanh(y) at y = " + y);
        }
        assertTrue(worst <= Tolerances.TANH_F32_ABS, "max |tanh_f32(y) - tanh(y)| = " + worst + " at y = " + worstAt);
    }

    @Test
    void tinyAndSubnormalArgumentsComeBackExactly() {
        // tanh(y) = y (1 - y²/3 + ...) rounds to y in f32 below 2^-12: the fit fixes P(0) = Q(0) = 1
        for (int bits = 0; bits < Float.floatToRawIntBits(0x1p-12f); bits += 61) {
            float y = Float.intBitsToFloat(bits);
            assertEquals(Float.floatToRawIntBits(y), Float.floatToRawIntBits(FloatKernels.tanh(y)), "y = " + y);
            assertEquals(Float.floatToRawIntBits(-y), Float.floatToRawIntBits(FloatKernels.tanh(-y)), "y = " + -y);
        }
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(FloatKernels.tanh(0f)));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(FloatKernels.tanh(-0f)));
        assertEquals(Float.MIN_VALUE, FloatKernels.tanh(Float.MIN_VALUE), 0f);
        assertEquals(Float.MIN_NORMAL, FloatKernels.tanh(Float.MIN_NORMAL), 0f);
        assertEquals(1e-30f, FloatKernels.tanh(1e-30f), 0f);
    }

    @Test
    void hugeArgumentsSaturateAtTheClampValueAndNanStaysNan() {
        float top = FloatKernels.tanh(FloatKernels.TANH_CLAMP);
        assertEquals(1.0, top, Tolerances.TANH_F32_ABS);
        for (float y : new float[]{9.5f, 20f, 1e10f, Float.MAX_VALUE, Float.POSITIVE_INFINITY}) {
            assertEquals(top, FloatKernels.tanh(y), 0f, "tanh(" + y + ")");
            assertEquals(-top, FloatKernels.tanh(-y), 0f, "tanh(" + -y + ")");
        }
        assertTrue(Float.isNaN(FloatKernels.tanh(Float.NaN)));
    }

    @Test
    void everyLaneGivesTheScalarBits() {
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        int n = s.length();
        float[] in = new float[n], out = new float[n];
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1e-30f, 8.999999f, 9f, 9.000001f,
                Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        int k = 0;
        for (int bits = 0; bits <= BITS_OF_20 + 4096; bits += 4093) {
            float y = Float.intBitsToFloat(bits);
            in[k++ % n] = (k & 1) == 0 ? y : -y;
            if (k % n == 0) check(s, in, out);
        }
        for (float y : special) {
            in[k++ % n] = y;
            if (k % n == 0) check(s, in, out);
        }
        check(s, in, out);
    }

    /** floatToIntBits: one NaN for all payloads, every other value bit for bit. */
    private static void check(VectorSpecies<Float> s, float[] in, float[] out) {
        SimdFloatKernels.tanh(FloatVector.fromArray(s, in, 0)).intoArray(out, 0);
        for (int i = 0; i < in.length; i++)
            assertEquals(Float.floatToIntBits(FloatKernels.tanh(in[i])), Float.floatToIntBits(out[i]),
                    "lane " + i + " y = " + in[i]);
    }
}
