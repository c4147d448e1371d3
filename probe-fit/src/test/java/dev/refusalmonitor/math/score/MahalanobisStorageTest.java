package dev.refusalmonitor.math.score;

import dev.refusalmonitor.math.fit.ClassData;
import dev.refusalmonitor.math.fit.MahalanobisFit;
import dev.refusalmonitor.math.fit.RocAuc;
import dev.refusalmonitor.math.score.MahalanobisScorer.EigenvectorStorage;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The low-rank path with 16-bit stored eigenvectors against the fitted f32 ones, on held-out planted-truth rows at
 * d = 1024, k = 64 (3 rogue dimensions at 25×: λ/σ² in the hundreds, where the low-rank form amplifies projection
 * errors most). The figures quoted in MahalanobisScorer's class comment come from this setup.
 */
class MahalanobisStorageTest {
    private static final int D = 1024, TRAIN = 400, TEST = 400;

    @Test
    void defaultStorageKeepsDistancesAndAucOnHeldOutRows() {
        assertEquals(EigenvectorStorage.INT16_ROW_SCALED, MahalanobisScorer.DEFAULT_STORAGE);
        for (boolean l2 : new boolean[] {false, true}) {
            Fixture f = new Fixture(1.0, l2);
            double[][] ref = f.score(EigenvectorStorage.F32);
            double[][] got = f.score(MahalanobisScorer.DEFAULT_STORAGE);
            int exactRows = new MahalanobisScorer(f.fit.meanHarmful(), f.fit.meanHarmless(), f.fit.params()).exactRowCount();
            assertTrue(exactRows > 0 && exactRows < 32, "the high-variance rows stay f32, most rows are compact: " + exactRows + " of 64");
            for (int i = 0; i < 2 * TEST; i++) {
                assertEquals(ref[0][i], got[0][i], Tolerances.COMPACT_EIGENVECTORS_DISTANCE_REL * ref[0][i], "d_H row " + i + " l2 " + l2);
                assertEquals(ref[1][i], got[1][i], Tolerances.COMPACT_EIGENVECTORS_DISTANCE_REL * ref[1][i], "d_S row " + i + " l2 " + l2);
                // d_S − d_H: both errors at most, measured against the size of the distances it is the difference of.
                assertEquals(ref[2][i], got[2][i], Tolerances.COMPACT_EIGENVECTORS_DISTANCE_REL * (ref[0][i] + ref[1][i]), "refusal row " + i);
            }
            double aucRef = f.auc(ref[2]);
            assertTrue(aucRef > 0.9 && aucRef < 1.0, "the held-out task should be separable but not trivially: AUC " + aucRef);
            assertEquals(aucRef, f.auc(got[2]), Tolerances.COMPACT_EIGENVECTORS_AUC_ABS, "held-out AUC, l2 " + l2);
        }
    }

    @Test
    void everyCompactStorageKeepsTheAucEvenWhereItsDistancesDrift() {
        Fixture f = new Fixture(1.0, false);
        double aucRef = f.auc(f.score(EigenvectorStorage.F32)[2]);
        for (EigenvectorStorage s : EigenvectorStorage.values())
            assertEquals(aucRef, f.auc(f.score(s)[2]), Tolerances.COMPACT_EIGENVECTORS_AUC_ABS, s.name());
    }

    @Test
    void everyStorageMatchesTheF32PathWhenTheRowsAreExactlyRepresentable() {
        // Rows of ±1 and 0 are exact in int16 (scale 1/32767 · 32767 = 1): same distances to rounding.
        int d = 37, k = 3;
        float[] v = new float[k * d];
        for (int j = 0; j < k; j++) for (int i = 0; i < d; i++) v[j * d + i] = (i % k == j) ? ((i & 1) == 0 ? 1 : -1) : 0;
        float[] mH = new float[d], mS = new float[d], x = new float[d];
        for (int i = 0; i < d; i++) {
            mH[i] = 0.25f * (i % 5);
            mS[i] = -0.5f * (i % 3);
            x[i] = (float) Math.sin(i);
        }
        var p = new dev.refusalmonitor.contract.directions.MahalanobisParams(0, 1, 1, 1, k, v, new double[] {9, 4, 2}, 0.5, null, false, null);
        MahalanobisScorer.Result ref = new MahalanobisScorer(mH, mS, p, EigenvectorStorage.F32).score(x, 0, false,
                new MahalanobisScorer(mH, mS, p, EigenvectorStorage.F32).newScratch(), new MahalanobisScorer.Result());
        for (EigenvectorStorage s : EigenvectorStorage.values()) {
            MahalanobisScorer sc = new MahalanobisScorer(mH, mS, p, s);
            assertEquals(s, sc.storage());
            MahalanobisScorer.Result r = sc.score(x, 0, false, sc.newScratch(), new MahalanobisScorer.Result());
            assertEquals(ref.dHarmful(), r.dHarmful(), Tolerances.F32_REL * ref.dHarmful(), s.name());
            assertEquals(ref.dHarmless(), r.dHarmless(), Tolerances.F32_REL * ref.dHarmless(), s.name());
        }
    }

    /** Planted-truth rows: the first TRAIN per class fit the model, the next TEST per class are held out. */
    private static final class Fixture {
        final float[] harmful, harmless;
        final MahalanobisFit.Result fit;
        final boolean[] labels = new boolean[2 * TEST];

        Fixture(double separation, boolean l2) {
            SyntheticActivations.Sample s = SyntheticActivations.generate(
                    PlantedTruthSpec.of(TRAIN + TEST, TRAIN + TEST, D, 1, 11L).withSeparation(separation));
            harmful = s.harmful()[0];
            harmless = s.harmless()[0];
            ClassData train = new ClassData(Arrays.copyOf(harmful, TRAIN * D), TRAIN, Arrays.copyOf(harmless, TRAIN * D), TRAIN, D);
            fit = MahalanobisFit.fit(train, new MahalanobisFit.Options(64, false, l2, null));
            Arrays.fill(labels, 0, TEST, true);
        }

        /** [d_H, d_S, d_S − d_H] per held-out row, harmful rows first. */
        double[][] score(EigenvectorStorage storage) {
            MahalanobisScorer sc = new MahalanobisScorer(fit.meanHarmful(), fit.meanHarmless(), fit.params(), storage);
            MahalanobisScorer.Scratch scratch = sc.newScratch();
            MahalanobisScorer.Result r = new MahalanobisScorer.Result();
            double[][] out = new double[3][2 * TEST];
            for (int i = 0; i < 2 * TEST; i++) {
                sc.score(i < TEST ? harmful : harmless, (TRAIN + i % TEST) * D, false, scratch, r);
                out[0][i] = r.dHarmful();
                out[1][i] = r.dHarmless();
                out[2][i] = r.refusal();
            }
            return out;
        }

        double auc(double[] refusal) {
            return RocAuc.auc(refusal, labels);
        }
    }
}
