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
            FloatKernels.scalarRowDots(v, 0, k, x, d, scalar, 0);
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

    @Test
    void centringPassIsOneFmaAndItsSquaredNormsMatchF64Sums() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int d : new int[] {1, 7, 31, 32, 33, 100, 4095, 4096}) {
            int off = 3;
            float[] x = new float[off + d], negM = new float[d], h = new float[d], c = new float[d];
            for (int i = 0; i < d; i++) {
                x[off + i] = (float) (50 + rnd.nextGaussian());
                negM[i] = (float) -(50 + rnd.nextGaussian() * 1e-3); // rows near the centre: the difference must not lose bits
                h[i] = (float) (rnd.nextGaussian() * 0.1);
            }
            for (float scale : new float[] {1f, 0.37f}) {
                double[] out = new double[2];
                FloatKernels.centreAndSquaredNorms(x, off, scale, negM, h, c, d, out);
                double sH = 0, sS = 0;
                for (int i = 0; i < d; i++) {
                    assertEquals(Math.fma(x[off + i], scale, negM[i]), c[i], 0.0, "c[" + i + "] d=" + d);
                    double eH = (double) c[i] - h[i], eS = (double) c[i] + h[i];
                    sH += eH * eH;
                    sS += eS * eS;
                }
                assertEquals(sH, out[0], Tolerances.F32_REL * sH, "sum (c - h)^2, d=" + d);
                assertEquals(sS, out[1], Tolerances.F32_REL * sS, "sum (c + h)^2, d=" + d);
            }
        }
    }

    @Test
    void f64LaneDotsMatchPlainF64Loops() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int d : new int[] {1, 7, 8, 31, 32, 33, 300, 4095, 4096}) {
            int off = 2;
            float[] x = new float[off + d], m = new float[d], b1 = new float[d], b2 = new float[d];
            double[] w = new double[d];
            for (int i = 0; i < d; i++) {
                x[off + i] = (float) (3 + rnd.nextGaussian());
                m[i] = (float) (3 + rnd.nextGaussian() * 1e-2);
                b1[i] = (float) rnd.nextGaussian();
                b2[i] = (float) rnd.nextGaussian();
                w[i] = rnd.nextGaussian() / 7;
            }
            double dot = 0, dotScale = 0, p = 0, q = 0, pScale = 0, qScale = 0;
            for (int i = 0; i < d; i++) {
                dot += x[off + i] * w[i];
                dotScale += Math.abs(x[off + i] * w[i]);
                double e = (double) x[off + i] - m[i];
                p += e * b1[i];
                q += e * b2[i];
                pScale += Math.abs(e * b1[i]);
                qScale += Math.abs(e * b2[i]);
            }
            assertEquals(dot, FloatKernels.dotF64(x, off, w, d), Tolerances.F64_REL * dotScale, "dotF64 d=" + d);
            double[] out = new double[2];
            FloatKernels.centredDots2F64(x, off, m, b1, b2, d, out);
            assertEquals(p, out[0], Tolerances.F64_REL * pScale, "(x - m).b1 d=" + d);
            assertEquals(q, out[1], Tolerances.F64_REL * qScale, "(x - m).b2 d=" + d);
        }
    }
}
