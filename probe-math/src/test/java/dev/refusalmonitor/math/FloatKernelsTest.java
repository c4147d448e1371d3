package dev.refusalmonitor.math;

import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The f32 kernels (SIMD when the Vector API is present, as in this build's tests) against f64 row-by-row sums. */
class FloatKernelsTest {

    @Test
    void shouldUseTheSimdPathInTheseTests() {
        // surefire starts the JVM with --add-modules jdk.incubator.vector, as the launchers do
        assertTrue(FloatKernels.SIMD, "the Vector API path is expected in the tests");
    }

    @Test
    void shouldMatchDoubleSumsForEveryShape() {
        SplittableRandom rnd = new SplittableRandom(3);
        int[][] shapes = {{1, 1}, {3, 5}, {4, 7}, {5, 64}, {64, 4096}, {7, 1}, {9, 33}, {4, 4095}, {2, 17}};
        for (int[] shape : shapes) {
            int k = shape[0], d = shape[1];
            float[] v = new float[k * d];
            float[] x = new float[d];
            for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < d; i++) x[i] = (float) (rnd.nextGaussian() * 10);
            float[] simd = new float[k], scalar = new float[k];
            FloatKernels.rowDots(v, k, x, d, simd);
            FloatKernels.scalarRowDots(v, k, x, d, scalar);
            for (int j = 0; j < k; j++) {
                double exact = 0, scale = 0;
                for (int i = 0; i < d; i++) {
                    exact += (double) v[j * d + i] * x[i];
                    scale += Math.abs((double) v[j * d + i] * x[i]);
                }
                double tol = Tolerances.F32_REL * Math.max(scale, 1.0);
                assertEquals(exact, simd[j], tol, "rowDots k=" + k + " d=" + d + " row " + j);
                assertEquals(exact, scalar[j], tol, "scalar rowDots k=" + k + " d=" + d + " row " + j);
                assertEquals(exact, FloatKernels.dot(v, j * d, x, 0, d), tol, "dot k=" + k + " d=" + d + " row " + j);
                assertEquals(exact, FloatKernels.scalarDot(v, j * d, x, 0, d), tol, "scalar dot d=" + d);
            }
        }
    }

    @Test
    void shouldHonourOffsets() {
        float[] a = {9, 9, 1, 2, 3, 9};
        float[] b = {7, 4, 5, 6};
        assertEquals(1 * 4 + 2 * 5 + 3 * 6, FloatKernels.dot(a, 2, b, 1, 3), 0.0);
    }
}
