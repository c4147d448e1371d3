package dev.refusalmonitor.math.linalg;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SymmetricEigenTest {

    /** A = Q diag(spectrum) Qᵀ with a random orthogonal Q, so the truth is known. */
    private static double[] withSpectrum(double[] spectrum, long seed) {
        int d = spectrum.length;
        SplittableRandom r = new SplittableRandom(seed);
        double[] g = new double[d * d];
        for (int i = 0; i < g.length; i++) g[i] = r.nextGaussian();
        double[] q = SymmetricEigen.orthonormalColumns(g, d, d);
        double[] a = new double[d * d];
        for (int i = 0; i < d; i++) for (int j = 0; j <= i; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += q[i * d + k] * spectrum[k] * q[j * d + k];
            a[i * d + j] = s;
            a[j * d + i] = s;
        }
        return a;
    }

    @Test
    void subspaceIterationFindsTheKnownTopSpectrumAndVectors() {
        int d = 200, k = 10;
        double[] spectrum = new double[d];
        for (int i = 0; i < d; i++) spectrum[i] = 100.0 * Math.pow(0.9, i) + 0.5;
        double[] a = withSpectrum(spectrum, 3);
        SymmetricEigen.Eigenpairs top;
        try (NativeSymmetric op = new NativeSymmetric(a, d)) {
            top = SymmetricEigen.largest(op, k, 7L);
        }
        SymmetricEigen.Eigenpairs all = SymmetricEigen.full(a, d);
        assertTrue(top.maxRelativeResidual() <= SymmetricEigen.DEFAULT_TOLERANCE, "residual " + top.maxRelativeResidual());
        for (int i = 0; i < k; i++) {
            assertEquals(spectrum[i], top.values()[i], 1e-10 * spectrum[0], "eigenvalue " + i);
            assertEquals(spectrum[i], all.values()[i], 1e-10 * spectrum[0], "full eigenvalue " + i);
            double dot = 0;
            for (int j = 0; j < d; j++) dot += top.vectors()[i * d + j] * all.vectors()[i * d + j];
            assertEquals(1.0, Math.abs(dot), 1e-6, "eigenvector " + i);
        }
    }

    @Test
    void blockAtLeastDSolvesDirectly() {
        double[] spectrum = {5, 3, 2, 1};
        double[] a = withSpectrum(spectrum, 4);
        try (NativeSymmetric op = new NativeSymmetric(a, 4)) {
            SymmetricEigen.Eigenpairs e = SymmetricEigen.largest(op, 4, 1L);
            assertEquals(0, e.iterations());
            for (int i = 0; i < 4; i++) assertEquals(spectrum[i], e.values()[i], 1e-12);
        }
    }
}
