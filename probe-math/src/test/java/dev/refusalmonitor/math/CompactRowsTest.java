package dev.refusalmonitor.math;

import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 16-bit row encodings against independent definitions, and their row dots against f64 sums of the decoded rows. */
class CompactRowsTest {

    /** IEEE binary16 value of a code, from the format's definition. */
    private static double f16(int code) {
        int e = (code >>> 10) & 0x1F, m = code & 0x3FF;
        double v = e == 0 ? Math.scalb((double) m, -24) : Math.scalb(1.0 + m / 1024.0, e - 15);
        return (code & 0x8000) != 0 ? -v : v;
    }

    @Test
    void halfDecodingIsBitExactForEveryFiniteCode() {
        for (int code = 0; code < 0x10000; code++) {
            if (((code >>> 10) & 0x1F) == 0x1F) continue; // inf/NaN: never produced by the encoder
            assertEquals(f16(code), CompactRows.halfToDouble((short) code), Tolerances.HALF_DECODE_ABS, "code " + Integer.toHexString(code));
        }
    }

    @Test
    void halfEncodingRoundsToNearestEven() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int t = 0; t < 200_000; t++) {
            double y = Math.scalb(rnd.nextDouble() * 2 - 1, rnd.nextInt(-30, 16)); // |y| < 2^15, subnormals included
            int c = CompactRows.toHalf(y) & 0xFFFF;
            double got = f16(c), err = Math.abs(got - y);
            int mag = c & 0x7FFF;
            // Neighbouring magnitudes (same sign) must not be closer; a tie must land on an even mantissa.
            for (int nb : new int[] {mag - 1, mag + 1}) {
                if (nb < 0 || nb >= 0x7C00) continue;
                double other = Math.abs(f16(nb | (c & 0x8000)) - y);
                assertTrue(err < other || (err == other && (mag & 1) == 0), "y " + y + " code " + Integer.toHexString(c));
            }
        }
        assertEquals(0x8000, CompactRows.toHalf(-0.0) & 0xFFFF);
        assertEquals(0x7BFF, CompactRows.toHalf(65504.0) & 0xFFFF);
        assertEquals(0x0001, CompactRows.toHalf(0x1p-24) & 0xFFFF);
        assertEquals(0x0000, CompactRows.toHalf(0x1p-25) & 0xFFFF); // tie to even: 0
    }

    @Test
    void bf16RoundsToNearestEvenAndDecodesExactly() {
        SplittableRandom rnd = new SplittableRandom(6);
        for (int t = 0; t < 200_000; t++) {
            float v = (float) Math.scalb(rnd.nextGaussian(), rnd.nextInt(-60, 60));
            short c = CompactRows.toBf16(v);
            double got = CompactRows.bf16ToFloat(c), err = Math.abs(got - v);
            for (int step : new int[] {-1, 1}) {
                double other = Math.abs(CompactRows.bf16ToFloat((short) (c + step)) - v);
                assertTrue(err < other || (err == other && (c & 1) == 0), "v " + v);
            }
            assertEquals(Float.intBitsToFloat((c & 0xFFFF) << 16), CompactRows.bf16ToFloat(c), Tolerances.HALF_DECODE_ABS);
        }
    }

    @Test
    void scaledEncodingsStayWithinTheirBounds() {
        SplittableRandom rnd = new SplittableRandom(7);
        int k = 3, d = 500;
        float[] v = new float[k * d];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * (i < d ? 1e-3 : i < 2 * d ? 1 : 1e4));
        v[d + 7] = 0; // an exact zero stays zero
        short[] half = new short[k * d], int16 = new short[k * d];
        double[] hs = new double[k], is = new double[k];
        CompactRows.toScaledHalf(v, k, d, half, hs);
        CompactRows.toScaledInt16(v, k, d, int16, is);
        for (int j = 0; j < k; j++) {
            double max = 0;
            for (int i = 0; i < d; i++) max = Math.max(max, Math.abs(v[j * d + i]));
            for (int i = 0; i < d; i++) {
                double x = v[j * d + i];
                double h = CompactRows.halfToScaledFloat(half[j * d + i]) * hs[j];
                assertTrue(Math.abs(h - x) <= 0x1p-11 * Math.abs(x) + 0x1p-25 * max * 0x1p-15, "f16 row " + j + " at " + i);
                assertTrue(Math.abs(int16[j * d + i] * is[j] - x) <= 0.5 * is[j] * (1 + 1e-12), "int16 row " + j + " at " + i);
            }
        }
        assertEquals(0, half[d + 7]);
        assertEquals(0, int16[d + 7]);
    }

    @Test
    void rowDotsMatchF64SumsOfTheDecodedRows() {
        SplittableRandom rnd = new SplittableRandom(8);
        int[][] shapes = {{1, 1}, {5, 33}, {4, 7}, {9, 4096}, {3, 4095}, {8, 16}, {12, 100}};
        for (int[] shape : shapes) {
            int k = shape[0], d = shape[1];
            float[] v = new float[k * d], x = new float[d];
            for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < d; i++) x[i] = (float) (rnd.nextGaussian() * 10);
            short[] bf = CompactRows.toBf16(v), half = new short[k * d], int16 = new short[k * d];
            double[] hs = new double[k], is = new double[k];
            CompactRows.toScaledHalf(v, k, d, half, hs);
            CompactRows.toScaledInt16(v, k, d, int16, is);
            float[] ob = new float[k], oh = new float[k], oi = new float[k];
            CompactRows.rowDotsBf16(bf, k, x, d, ob);
            CompactRows.rowDotsHalf(half, k, x, d, oh);
            CompactRows.rowDotsInt16(int16, k, x, d, oi);
            for (int j = 0; j < k; j++) {
                double eb = 0, eh = 0, ei = 0, sb = 0, sh = 0, si = 0;
                for (int i = 0; i < d; i++) {
                    double b = CompactRows.bf16ToFloat(bf[j * d + i]), h = CompactRows.halfToScaledFloat(half[j * d + i]);
                    double n = int16[j * d + i];
                    eb += b * x[i];
                    sb += Math.abs(b * x[i]);
                    eh += h * x[i];
                    sh += Math.abs(h * x[i]);
                    ei += n * x[i];
                    si += Math.abs(n * x[i]);
                }
                String at = "k=" + k + " d=" + d + " row " + j;
                assertEquals(eb, ob[j], Tolerances.F32_REL * sb, "bf16 " + at);
                assertEquals(eh, oh[j], Tolerances.F32_REL * sh, "f16 " + at);
                assertEquals(ei, oi[j], Tolerances.F32_REL * si, "int16 " + at);
            }
        }
    }
}
