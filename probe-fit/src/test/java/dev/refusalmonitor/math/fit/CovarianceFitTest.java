package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.VectorOps;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CovarianceFitTest {

    private static ClassData data(SyntheticActivations.Sample s) {
        return new ClassData(s.harmful()[0], s.spec().nHarmful(), s.harmless()[0], s.spec().nHarmless(), s.d());
    }

    @Test
    void whiteningFactorInvertsTheCovariance() {
        int d = 24;
        PooledCovariance cov = PooledCovariance.fit(data(SyntheticActivations.generate(PlantedTruthSpec.of(30, 50, d, 1, 5L))), false);
        float[] packed = cov.exactWhitening();
        assertEquals(d * (d + 1) / 2, packed.length);
        double[] w = new double[d * d];
        for (int i = 0, p = 0; i < d; i++) for (int j = 0; j <= i; j++) w[i * d + j] = packed[p++];
        for (int i = 0; i < d; i++) assertTrue(w[i * d + i] > 0, "positive diagonal");
        double[] sigma = cov.covariance();
        // WᵀW Σ = I; W is stored in float, so compare at the f32 tolerance.
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) {
            double v = 0;
            for (int a = 0; a < d; a++) {
                double wtw = 0;
                for (int b = 0; b < d; b++) wtw += w[b * d + i] * w[b * d + a];
                v += wtw * sigma[a * d + j];
            }
            assertEquals(i == j ? 1.0 : 0.0, v, 10 * Tolerances.F32_REL, "(WᵀWΣ)[" + i + "," + j + "]");
        }
    }

    @Test
    void solveAgreesWithTheCovariance() {
        int d = 48;
        PooledCovariance cov = PooledCovariance.fit(data(SyntheticActivations.generate(PlantedTruthSpec.of(100, 60, d, 1, 6L))), false);
        double[] b = new double[d];
        for (int j = 0; j < d; j++) b[j] = Math.sin(j + 1.0);
        double[] x = cov.solve(b);
        double[] sigma = cov.covariance();
        for (int i = 0; i < d; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) s += sigma[i * d + j] * x[j];
            assertEquals(b[i], s, 1e-9, "row " + i);
        }
        assertEquals(cov.conditionNumber(), cov.largestEigenvalue() / cov.eigenvalueFloor(), 0.0);
        assertTrue(cov.eigenvalueFloor() >= cov.shrinkage() * cov.traceOverD() * (1 - 1e-12), "Σ = (1−δ)S + δμI ≥ δμ");
    }

    /**
     * Planted truth at d = 256, 2000 rows per class (3 rogue dims at 25x, 8 factors, 2.5 sd separation, 10%
     * warning rows). The mean shift is 0.95 r + 0.05 w (warnings carry half the shift plus an orthogonal part), so
     * even the exact class-mean difference has cosine 0.9986 with r; sampling noise in the means costs a few
     * hundredths more (expected ≈ 0.98), so 0.95 is a bound a broken DIM fails and a correct one passes. Fisher
     * ŵ ∝ Σ⁻¹r is not parallel to r under anisotropic noise; its truth is that it separates better: on held-out
     * rows its standardised mean gap must beat the planted direction's own (≈ 2.4 sd), which no direction that
     * ignores the covariance reaches here.
     */
    @Test
    void recoversThePlantedDirection() {
        int d = 256, n = 2000, nHeld = 1000;
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(n + nHeld, n + nHeld, d, 1, 11L));
        ClassData train = new ClassData(java.util.Arrays.copyOf(s.harmful()[0], n * d), n,
                java.util.Arrays.copyOf(s.harmless()[0], n * d), n, d);
        float[] heldH = java.util.Arrays.copyOfRange(s.harmful()[0], n * d, (n + nHeld) * d);
        float[] heldS = java.util.Arrays.copyOfRange(s.harmless()[0], n * d, (n + nHeld) * d);
        float[] dim = DimFit.direction(train);
        float[] planted = s.plantedDirections()[0];
        double cosDim = VectorOps.cosine(dim, planted);
        assertTrue(cosDim > 0.95, "cos(DIM, planted) = " + cosDim);
        float[] fisher = FisherFit.direction(train);
        double gapFisher = standardisedGap(heldH, heldS, nHeld, d, fisher);
        double gapPlanted = standardisedGap(heldH, heldS, nHeld, d, planted);
        assertTrue(gapFisher > gapPlanted, "Fisher gap " + gapFisher + " <= planted-direction gap " + gapPlanted);
        assertTrue(gapPlanted > 2.0, "planted gap " + gapPlanted);
    }

    /** (mean_H − mean_S) of x·v over pooled within-class sd of x·v. */
    private static double standardisedGap(float[] harmful, float[] harmless, int n, int d, float[] v) {
        double[] h = project(harmful, n, d, v), z = project(harmless, n, d, v);
        double mh = mean(h), mz = mean(z);
        double var = (ss(h, mh) + ss(z, mz)) / (h.length + z.length);
        return (mh - mz) / Math.sqrt(var);
    }

    private static double[] project(float[] x, int n, int d, float[] v) {
        double[] p = new double[n];
        for (int i = 0; i < n; i++) p[i] = VectorOps.dot(x, i * d, v, 0, d);
        return p;
    }

    private static double mean(double[] a) {
        double m = 0;
        for (double v : a) m += v;
        return m / a.length;
    }

    private static double ss(double[] a, double m) {
        double s = 0;
        for (double v : a) s += (v - m) * (v - m);
        return s;
    }

    @Test
    void badInputGivesClearErrors() {
        float[] two = {1, 2, 3, 4};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ClassData(two, 2, new float[] {1, 2, 3, Float.NaN, 5, 6}, 3, 2));
        assertTrue(e.getMessage().contains("harmless row 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ClassData(new float[] {1, 2}, 1, two, 2, 2));
        assertTrue(e.getMessage().contains("harmful class has 1 rows"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ClassData(two, 2, new float[] {1, 2, 3}, 2, 2));
        assertTrue(e.getMessage().contains("harmless array has 3 values"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ClassData(two, 2, two, 2, 0));
        assertTrue(e.getMessage().contains("d must be >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DimFit.direction(new ClassData(two, 2, two, 2, 2)));
        assertTrue(e.getMessage().contains("identical"), e.getMessage());
        ArithmeticException a = assertThrows(ArithmeticException.class,
                () -> PooledCovariance.fit(new ClassData(new float[] {1, 1}, 2, new float[] {3, 3}, 2, 1), false));
        assertTrue(a.getMessage().contains("singular"), a.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PooledCovariance.fit(new ClassData(new float[] {0, 0, 1, 1}, 2, two, 2, 2), true));
        assertTrue(e.getMessage().contains("harmful row 0 is zero"), e.getMessage());
        ClassData ok = data(SyntheticActivations.generate(PlantedTruthSpec.of(10, 10, 8, 1, 1L)));
        e = assertThrows(IllegalArgumentException.class, () -> FisherFit.direction(PooledCovariance.fit(ok, true)));
        assertTrue(e.getMessage().contains("L2-normalised"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> MahalanobisFit.fit(PooledCovariance.fit(ok, false), MahalanobisFit.Options.defaults(8).withL2Normalize(true)));
        assertTrue(e.getMessage().contains("l2Normalize"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> MahalanobisFit.Options.defaults(8).withOodCalibration(new float[] {2, 1}));
        assertTrue(e.getMessage().contains("ascending"), e.getMessage());
    }
}
