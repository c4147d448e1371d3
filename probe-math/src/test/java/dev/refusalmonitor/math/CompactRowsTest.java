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
    void rowDotsOfSeveralRecordsHaveTheBitsOfOneRecordAtATime() {
        SplittableRandom rnd = new SplittableRandom(9);
        // Rows and records not multiples of the four-by-four tile, d with and without a scalar tail.
        int[][] shapes = {{9, 37, 6}, {8, 4099, 4}, {4, 4096, 9}, {3, 64, 5}, {13, 128, 1}};
        for (int[] shape : shapes) {
            int k = shape[0], d = shape[1], n = shape[2];
            short[] codes = new short[(k + 4) * d];
            for (int i = 0; i < codes.length; i++) codes[i] = (short) rnd.nextInt(-32767, 32768);
            float[][] xs = new float[n][d];
            for (float[] x : xs) for (int i = 0; i < d; i++) x[i] = (float) (rnd.nextGaussian() * 3);
            int vOff = 4 * d; // from the fifth row, as the Mahalanobis scorer calls it for a later block
            int stride = k + 2;
            float[] batch = new float[n * stride], alone = new float[n * stride];
            CompactRows.rowDotsInt16(codes, vOff, k, xs, n, d, batch, stride);
            for (int r = 0; r < n; r++) CompactRows.rowDotsInt16(codes, vOff, k, xs[r], d, alone, r * stride);
            for (int i = 0; i < batch.length; i++)
                assertEquals(Float.floatToRawIntBits(alone[i]), Float.floatToRawIntBits(batch[i]),
                        "k=" + k + " d=" + d + " n=" + n + " record " + i / stride + " row " + i % stride);
        }
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
