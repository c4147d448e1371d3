package dev.refusalmonitor.math.score;

import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The blocked four-rows-per-pass projection equals the obvious one-row-at-a-time dot products. */
class MahalanobisProjectionTest {

    @Test
    void shouldEqualRowByRowDotProductsForEveryShape() {
        SplittableRandom rnd = new SplittableRandom(3);
        int[][] shapes = {{1, 1}, {3, 5}, {4, 7}, {5, 64}, {64, 4096}, {7, 1}, {9, 33}};
        for (int[] shape : shapes) {
            int k = shape[0], d = shape[1];
            float[] v = new float[k * d];
            double[] x = new double[d];
            for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < d; i++) x[i] = rnd.nextGaussian() * 10;
            double[] fast = new double[k];
            MahalanobisScorer.project(v, k, x, d, fast);
            for (int j = 0; j < k; j++) {
                double slow = 0, scale = 0;
                for (int i = 0; i < d; i++) {
                    slow += (double) v[j * d + i] * x[i];
                    scale += Math.abs((double) v[j * d + i] * x[i]);
                }
                assertEquals(slow, fast[j], Tolerances.F64_REL * Math.max(scale, 1.0),
                        "k=" + k + " d=" + d + " row " + j);
            }
        }
    }
}
