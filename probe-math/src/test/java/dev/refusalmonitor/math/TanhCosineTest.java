package dev.refusalmonitor.math;

import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FloatKernels.tanhCosine (SIMD in these tests) and its f64-sum form against the f64 formula with Math.tanh. */
class TanhCosineTest {

    /** cos(x, tanh(a c)) in f64 with Math.tanh, a as given. */
    static double reference(float[] x, int xOff, float[] c, double a, int d) {
        double xt = 0, tt = 0, xx = 0;
        for (int j = 0; j < d; j++) {
            double t = Math.tanh(a * c[j]);
            xt += x[xOff + j] * t;
            tt += t * t;
            xx += (double) x[xOff + j] * x[xOff + j];
        }
        return tt == 0 || xx == 0 ? 0 : xt / Math.sqrt(xx * tt);
    }

    /** a = (c·x)/(cᵀc) in f64, as CastScorer computes it. */
    static double projection(float[] x, int xOff, float[] c, int d) {
        double cx = 0, cc = 0;
        for (int j = 0; j < d; j++) {
            cx += (double) c[j] * x[xOff + j];
            cc += (double) c[j] * c[j];
        }
        return cx / cc;
    }

    @Test
    void matchesTheDoubleFormulaForEveryShapeAndScale() {
        SplittableRandom rnd = new SplittableRandom(17);
        for (int d : new int[]{1, 7, 15, 16, 17, 31, 33, 64, 1000, 4095, 4096}) {
            float[] c = new float[d];
            for (int j = 0; j < d; j++) c[j] = (float) rnd.nextGaussian();
            // scales from the linear regime of tanh to deep saturation; the last two leave the f32 sum range
            for (double scale : new double[]{1e-3, 0.1, 1, 10, 300, 1e-22, 1e22}) {
                for (double along : new double[]{0, 0.3, 3}) {
                    float[] x = new float[d + 3];
                    for (int j = 0; j < d; j++) x[3 + j] = (float) (scale * (rnd.nextGaussian() + along * c[j]));
                    double a = projection(x, 3, c, d);
                    double want = reference(x, 3, c, a, d);
                    String at = "d=" + d + " scale=" + scale + " along=" + along;
                    assertEquals(want, FloatKernels.tanhCosine(x, 3, c, a, d), Tolerances.CAST_SIMILARITY_ABS, at);
                    assertEquals(want, FloatKernels.scalarTanhCosine(x, 3, c, a, d), Tolerances.CAST_SIMILARITY_ABS,
                            "f64 sums " + at);
                }
            }
        }
    }

    @Test
    void largeAIsSaturatedAndZeroEntriesOfCStayZero() {
        int d = 100;
        float[] c = new float[d], x = new float[d];
        for (int j = 0; j < d; j++) {
            c[j] = j % 3 == 0 ? 0f : (j % 2 == 0 ? 1f : -2f);
            x[j] = j % 5;
        }
        // a beyond the f32 range: t_j = ±tanh(9) where c_j ≠ 0 and 0 where c_j = 0 (not NaN from ∞·0)
        for (double a : new double[]{1e6, 1e300, -1e300}) {
            double got = FloatKernels.tanhCosine(x, 0, c, a, d);
            assertEquals(reference(x, 0, c, a, d), got, Tolerances.CAST_SIMILARITY_ABS, "a=" + a);
        }
    }

    @Test
    void zeroVectorsGiveZeroAndNanGivesNan() {
        float[] c = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
        float[] zero = new float[c.length];
        float[] x = c.clone();
        assertEquals(0.0, FloatKernels.tanhCosine(zero, 0, c, 0.0, c.length), 0.0);
        assertEquals(0.0, FloatKernels.tanhCosine(x, 0, c, 0.0, c.length), 0.0, "a = 0 makes t the zero vector");
        x[4] = Float.NaN;
        assertTrue(Double.isNaN(FloatKernels.tanhCosine(x, 0, c, 0.5, c.length)));
        assertTrue(Double.isNaN(FloatKernels.tanhCosine(c, 0, c, Double.NaN, c.length)));
    }

    @Test
    void isInvariantToTheScaleOfXForAFixedA() {
        // cos(λx, t) = cos(x, t) for λ > 0; λ = 2^±60 puts Σ x_j² outside the f32 range, so the f64 sums take over
        SplittableRandom rnd = new SplittableRandom(5);
        int d = 4096;
        float[] c = new float[d], x = new float[d];
        for (int j = 0; j < d; j++) {
            c[j] = (float) rnd.nextGaussian();
            x[j] = (float) (rnd.nextGaussian() + 0.5 * c[j]);
        }
        double a = projection(x, 0, c, d);
        double s = FloatKernels.tanhCosine(x, 0, c, a, d);
        for (float lambda : new float[]{0x1p-60f, 0x1p-40f, 0x1p40f, 0x1p60f}) {
            float[] y = new float[d];
            for (int j = 0; j < d; j++) y[j] = x[j] * lambda;
            assertEquals(s, FloatKernels.tanhCosine(y, 0, c, a, d), Tolerances.CAST_SIMILARITY_ABS, "λ=" + lambda);
        }
    }
}
