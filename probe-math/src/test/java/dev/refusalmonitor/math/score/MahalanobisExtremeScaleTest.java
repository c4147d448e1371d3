package dev.refusalmonitor.math.score;

import dev.refusalmonitor.contract.directions.MahalanobisParams;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Issue 15: mahalanobis_refusal at extreme but finite scales of x. d_S − d_H of two large, nearly equal distances
 * cancels (it came out exactly 0.0 at 1e17); the scorer computes it as 4x'ᵀΣ⁻¹h/(d_S + d_H), which keeps its relative
 * precision. Checked against the plain difference computed in f64 from the same f32 inputs.
 */
class MahalanobisExtremeScaleTest {
    private static final int D = 96, K = 6;

    @Test
    void refusalKeepsItsPrecisionFarFromBothMeans() {
        Random rnd = new Random(15);
        float[] muH = new float[D], muS = new float[D], u = new float[D];
        for (int i = 0; i < D; i++) {
            muH[i] = (float) (rnd.nextGaussian() * 0.3 + 0.2);
            muS[i] = (float) (rnd.nextGaussian() * 0.3 - 0.2);
            u[i] = (float) rnd.nextGaussian();
        }
        float[] rows = orthonormalRows(rnd);
        double[] eig = {9, 6, 4, 3, 2, 1.5};
        double rem = 0.5;
        float[] w = lowerTriangular(rnd);
        MahalanobisParams params = new MahalanobisParams(0.1, 1, 0.5, 20, K, rows, eig, rem, w, false, new float[0]);
        for (MahalanobisScorer.EigenvectorStorage storage : MahalanobisScorer.EigenvectorStorage.values()) {
            MahalanobisScorer scorer = new MahalanobisScorer(muH, muS, params, storage);
            MahalanobisScorer.Scratch scratch = scorer.newScratch();
            for (boolean exact : new boolean[] {false, true}) {
                for (double scale : new double[] {1, 1e3, 1e6}) {
                    float[] x = new float[D];
                    for (int i = 0; i < D; i++) x[i] = (float) (u[i] * scale);
                    double got = scorer.score(x, 0, exact, scratch, new MahalanobisScorer.Result()).refusal();
                    double want = exact ? exactReference(x, muH, muS, w) : lowRankReference(x, muH, muS, rows, eig, rem);
                    String what = storage + (exact ? " exact" : " low-rank") + " at scale " + scale;
                    assertNotEquals(0.0, got, what);
                    assertEquals(want, got, Math.abs(want) * 1e-3 + 1e-9, what);
                }
            }
        }
    }

    @Test
    void overflowIsAnArithmeticExceptionNotAZero() {
        Random rnd = new Random(16);
        float[] muH = new float[D], muS = new float[D];
        for (int i = 0; i < D; i++) {
            muH[i] = 1;
            muS[i] = -1;
        }
        MahalanobisParams params = new MahalanobisParams(0.1, 1, 0.5, 20, K, orthonormalRows(rnd),
                new double[] {9, 6, 4, 3, 2, 1.5}, 0.5, null, false, new float[0]);
        MahalanobisScorer scorer = new MahalanobisScorer(muH, muS, params);
        float[] x = new float[D];
        java.util.Arrays.fill(x, 3e38f);
        assertThrows(ArithmeticException.class, () -> scorer.score(x, 0, false, scorer.newScratch(), new MahalanobisScorer.Result()));
    }

    /** Plain d_S − d_H in f64 with Σ⁻¹ = WᵀW. */
    private static double exactReference(float[] x, float[] muH, float[] muS, float[] w) {
        return Math.sqrt(quadW(x, muS, w)) - Math.sqrt(quadW(x, muH, w));
    }

    private static double quadW(float[] x, float[] mu, float[] w) {
        double s = 0;
        int base = 0;
        for (int i = 0; i < D; i++) {
            double y = 0;
            for (int j = 0; j <= i; j++) y += (double) w[base + j] * ((double) x[j] - mu[j]);
            s += y * y;
            base += i + 1;
        }
        return s;
    }

    /** Plain d_S − d_H in f64 with Σ⁻¹ = I/σ² + Σⱼ (1/λⱼ − 1/σ²) vⱼvⱼᵀ from the f32 rows. */
    private static double lowRankReference(float[] x, float[] muH, float[] muS, float[] rows, double[] eig, double rem) {
        return Math.sqrt(quadLowRank(x, muS, rows, eig, rem)) - Math.sqrt(quadLowRank(x, muH, rows, eig, rem));
    }

    private static double quadLowRank(float[] x, float[] mu, float[] rows, double[] eig, double rem) {
        double[] e = new double[D];
        double s = 0;
        for (int i = 0; i < D; i++) {
            e[i] = (double) x[i] - mu[i];
            s += e[i] * e[i];
        }
        s /= rem;
        for (int j = 0; j < K; j++) {
            double p = 0;
            for (int i = 0; i < D; i++) p += rows[j * D + i] * e[i];
            s += (1 / eig[j] - 1 / rem) * p * p;
        }
        return s;
    }

    private static float[] orthonormalRows(Random rnd) {
        double[][] v = new double[K][D];
        for (int j = 0; j < K; j++) {
            for (int i = 0; i < D; i++) v[j][i] = rnd.nextGaussian();
            for (int p = 0; p < j; p++) {
                double dot = 0;
                for (int i = 0; i < D; i++) dot += v[j][i] * v[p][i];
                for (int i = 0; i < D; i++) v[j][i] -= dot * v[p][i];
            }
            double n = 0;
            for (int i = 0; i < D; i++) n += v[j][i] * v[j][i];
            n = Math.sqrt(n);
            for (int i = 0; i < D; i++) v[j][i] /= n;
        }
        float[] out = new float[K * D];
        for (int j = 0; j < K; j++) for (int i = 0; i < D; i++) out[j * D + i] = (float) v[j][i];
        return out;
    }

    private static float[] lowerTriangular(Random rnd) {
        float[] w = new float[D * (D + 1) / 2];
        int base = 0;
        for (int i = 0; i < D; i++) {
            for (int j = 0; j < i; j++) w[base + j] = (float) (rnd.nextGaussian() * 0.05);
            w[base + i] = (float) (1.0 + rnd.nextDouble());
            base += i + 1;
        }
        return w;
    }
}
