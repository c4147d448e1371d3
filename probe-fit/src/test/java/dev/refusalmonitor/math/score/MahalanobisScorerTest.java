package dev.refusalmonitor.math.score;

import dev.refusalmonitor.math.VectorOps;
import dev.refusalmonitor.contract.directions.MahalanobisParams;
import dev.refusalmonitor.contract.directions.Standardisation;
import dev.refusalmonitor.math.fit.ClassData;
import dev.refusalmonitor.math.fit.MahalanobisFit;
import dev.refusalmonitor.math.fit.PooledCovariance;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MahalanobisScorerTest {

    private static ClassData data(SyntheticActivations.Sample s) {
        return new ClassData(s.harmful()[0], s.spec().nHarmful(), s.harmless()[0], s.spec().nHarmless(), s.d());
    }

    @Test
    void lowRankWithKEqualToDIsTheExactDistance() {
        for (boolean l2 : new boolean[] {false, true}) {
            int d = 40;
            SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(35, 25, d, 1, 3L));
            MahalanobisFit.Result fit = MahalanobisFit.fit(data(s), new MahalanobisFit.Options(d, true, l2, null));
            // The formula with the fitted f32 eigenvectors; the compact storages are checked in MahalanobisStorageTest.
            MahalanobisScorer scorer = new MahalanobisScorer(fit.meanHarmful(), fit.meanHarmless(), fit.params(),
                    MahalanobisScorer.EigenvectorStorage.F32);
            MahalanobisScorer.Scratch scratch = scorer.newScratch();
            MahalanobisScorer.Result exact = new MahalanobisScorer.Result(), low = new MahalanobisScorer.Result();
            for (int i = 0; i < 25; i++) {
                scorer.score(s.harmless()[0], i * d, true, scratch, exact);
                scorer.score(s.harmless()[0], i * d, false, scratch, low);
                assertTrue(exact.exact());
                assertFalse(low.exact());
                assertEquals(exact.dHarmful(), low.dHarmful(), Tolerances.F32_REL * exact.dHarmful(), "d_H row " + i);
                assertEquals(exact.dHarmless(), low.dHarmless(), Tolerances.F32_REL * exact.dHarmless(), "d_S row " + i);
            }
        }
    }

    @Test
    void exactDistanceMatchesTheInverseCovarianceQuadraticForm() {
        int d = 30;
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(40, 60, d, 1, 4L));
        PooledCovariance cov = PooledCovariance.fit(data(s), false);
        MahalanobisFit.Result fit = MahalanobisFit.fit(cov, MahalanobisFit.Options.defaults(d).withLowRankK(5));
        MahalanobisScorer scorer = new MahalanobisScorer(fit.meanHarmful(), fit.meanHarmless(), fit.params());
        double[] inv = cov.inverse(), mH = cov.meanHarmful(), mS = cov.meanHarmless();
        float[] x = s.harmful()[0];
        MahalanobisScorer.Result r = scorer.score(x, 3 * d, true, scorer.newScratch(), new MahalanobisScorer.Result());
        assertEquals(Math.sqrt(quad(inv, x, 3 * d, mH)), r.dHarmful(), Tolerances.F32_REL * r.dHarmful());
        assertEquals(Math.sqrt(quad(inv, x, 3 * d, mS)), r.dHarmless(), Tolerances.F32_REL * r.dHarmless());
        assertEquals(r.dHarmless() - r.dHarmful(), r.refusal(), 0.0);
        assertEquals(Math.min(r.dHarmful(), r.dHarmless()), r.ood(), 0.0);
    }

    private static double quad(double[] inv, float[] x, int off, double[] m) {
        int d = m.length;
        double s = 0;
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) s += (x[off + i] - m[i]) * inv[i * d + j] * (x[off + j] - m[j]);
        return s;
    }

    @Test
    void harmfulRowsScoreHigherOnRefusal() {
        int d = 64;
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(300, 300, d, 1, 8L));
        MahalanobisFit.Result fit = MahalanobisFit.fit(data(s), MahalanobisFit.Options.defaults(d).withLowRankK(16));
        MahalanobisScorer scorer = new MahalanobisScorer(fit.meanHarmful(), fit.meanHarmless(), fit.params());
        MahalanobisScorer.Scratch scratch = scorer.newScratch();
        MahalanobisScorer.Result r = new MahalanobisScorer.Result();
        double h = 0, z = 0;
        for (int i = 0; i < 300; i++) {
            h += scorer.score(s.harmful()[0], i * d, false, scratch, r).refusal();
            z += scorer.score(s.harmless()[0], i * d, false, scratch, r).refusal();
        }
        assertTrue(h / 300 > 0 && z / 300 < 0, "mean refusal harmful " + h / 300 + ", harmless " + z / 300);
    }

    @Test
    void tailProbabilityCountsCalibrationDistancesAtOrAbove() {
        MahalanobisParams p = new MahalanobisParams(0, 1, 1, 1, 1, new float[] {1, 0}, new double[] {1}, 1, null, false,
                new float[] {1, 2, 2, 3});
        MahalanobisScorer scorer = new MahalanobisScorer(new float[] {0, 0}, new float[] {0, 0}, p);
        assertEquals(5 / 5.0, scorer.tailProbability(0.5), 0.0);
        assertEquals(4 / 5.0, scorer.tailProbability(1.5), 0.0);
        assertEquals(4 / 5.0, scorer.tailProbability(2.0), 0.0); // ties count as "at or above"
        assertEquals(2 / 5.0, scorer.tailProbability(2.0 + 1e-6), 0.0);
        assertEquals(1 / 5.0, scorer.tailProbability(9), 0.0);
        // With identity covariance and zero means the distance is ‖x‖: (3,4) → 5, beyond every calibration value.
        MahalanobisScorer.Result r = scorer.score(new float[] {3, 4}, 0, false, scorer.newScratch(), new MahalanobisScorer.Result());
        assertEquals(5.0, r.ood(), 1e-12);
        assertEquals(0.2, r.oodTailProbability(), 0.0);
        MahalanobisParams none = new MahalanobisParams(0, 1, 1, 1, 1, new float[] {1, 0}, new double[] {1}, 1, null, false, new float[0]);
        assertEquals(1.0, new MahalanobisScorer(new float[2], new float[2], none).tailProbability(100), 0.0);
    }

    @Test
    void misuseGivesClearErrors() {
        MahalanobisParams p = new MahalanobisParams(0, 1, 1, 1, 1, new float[] {1, 0}, new double[] {1}, 1, null, true, null);
        MahalanobisScorer scorer = new MahalanobisScorer(new float[] {1, 0}, new float[] {0, 1}, p);
        MahalanobisScorer.Scratch scratch = scorer.newScratch();
        MahalanobisScorer.Result r = new MahalanobisScorer.Result();
        IllegalStateException st = assertThrows(IllegalStateException.class, () -> scorer.score(new float[] {1, 1}, 0, true, scratch, r));
        assertTrue(st.getMessage().contains("no exact whitening factor"), st.getMessage());
        assertThrows(IllegalArgumentException.class, () -> scorer.score(new float[] {0, 0}, 0, false, scratch, r));
        assertThrows(IllegalArgumentException.class, () -> scorer.score(new float[] {Float.NaN, 1}, 0, false, scratch, r));
        assertThrows(IllegalArgumentException.class, () -> scorer.score(new float[] {1, 1}, 1, false, scratch, r));
        assertThrows(IllegalArgumentException.class, () -> new MahalanobisScorer(new float[3], new float[2], p));
    }

    @Test
    void projectionScorersAreDotProducts() {
        float[] dir = {0.6f, 0.8f};
        float[] x = {9, 1, 2, 9};
        ProjectionScorer dim = new ProjectionScorer("DIM", dir, new Standardisation(1.0, 2.0));
        assertEquals(0.6 * 1 + 0.8 * 2, dim.score(x, 1), 1e-6);
        assertEquals((0.6 * 1 + 0.8 * 2 - 1.0) / 2.0, dim.standardised(x, 1), 1e-6);
        ProjectionScorer fisher = new ProjectionScorer("Fisher", dir, null);
        assertEquals(VectorOps.dot(x, 2, dir, 0, 2), fisher.score(x, 2), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> fisher.score(x, 3));
    }
}
