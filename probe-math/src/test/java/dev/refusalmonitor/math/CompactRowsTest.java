package dev.refusalmonitor.math;

import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scaled-int16 row encoding against its bound, and its row dots against f64 sums of the decoded rows. */
class CompactRowsTest {

    @Test
    void scaledEncodingStaysWithinItsBound() {
        SplittableRandom rnd = new SplittableRandom(7);
        int k = 3, d = 500;
        float[] v = new float[k * d];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * (i < d ? 1e-3 : i < 2 * d ? 1 : 1e4));
        v[d + 7] = 0; // an exact zero stays zero
        short[] int16 = new short[k * d];
        double[] is = new double[k];
        CompactRows.toScaledInt16(v, k, d, int16, is);
        for (int j = 0; j < k; j++) {
            double max = 0;
            for (int i = 0; i < d; i++) max = Math.max(max, Math.abs(v[j * d + i]));
            for (int i = 0; i < d; i++) {
                double x = v[j * d + i];
                assertTrue(Math.abs(int16[j * d + i] * is[j] - x) <= 0.5 * is[j] * (1 + 1e-12), "int16 row " + j + " at " + i);
            }
        }
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
            short[] int16 = new short[k * d];
            double[] is = new double[k];
            CompactRows.toScaledInt16(v, k, d, int16, is);
            float[] oi = new float[k];
            CompactRows.rowDotsInt16(int16, k, x, d, oi);
            for (int j = 0; j < k; j++) {
                double ei = 0, si = 0;
                for (int i = 0; i < d; i++) {
                    double n = int16[j * d + i];
                    ei += n * x[i];
                    si += Math.abs(n * x[i]);
                }
                String at = "k=" + k + " d=" + d + " row " + j;
                assertEquals(ei, oi[j], Tolerances.F32_REL * si, "int16 " + at);
            }
        }
    }
}
