package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.MahalanobisParams;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link MahalanobisFit#truncate}: cutting a k = 16 fit to k' gives what a fit at k' returns. */
class MahalanobisTruncateTest {

    @Test
    void truncatedFitMatchesAFitAtTheLowerRank() {
        int d = 96;
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(150, 150, d, 1, 3));
        ClassData data = new ClassData(s.harmful()[0], 150, s.harmless()[0], 150, d);
        PooledCovariance cov = PooledCovariance.fit(data, true);
        MahalanobisFit.Options o = MahalanobisFit.Options.defaults(d).withExact(false).withL2Normalize(true);
        MahalanobisParams wide = MahalanobisFit.fit(cov, o.withLowRankK(16)).params();
        for (int k : new int[]{1, 5, 8, 16}) {
            MahalanobisParams direct = MahalanobisFit.fit(cov, o.withLowRankK(k)).params();
            MahalanobisParams cut = MahalanobisFit.truncate(wide, d, k);
            assertEquals(k, cut.k());
            assertArrayEquals(direct.eigenvalues(), cut.eigenvalues(), 1e-9 * direct.eigenvalues()[0], "eigenvalues, k = " + k);
            assertEquals(direct.remainderVariance(), cut.remainderVariance(), 1e-9 * direct.remainderVariance(), "remainder, k = " + k);
            // Rows agree up to sign (the solver fixes no sign convention).
            for (int r = 0; r < k; r++) {
                double dot = 0;
                for (int j = 0; j < d; j++) dot += (double) direct.eigenvectors()[r * d + j] * cut.eigenvectors()[r * d + j];
                assertEquals(1.0, Math.abs(dot), 1e-5, "row " + r + ", k = " + k);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> MahalanobisFit.truncate(wide, d, 17));
        assertThrows(IllegalArgumentException.class, () -> MahalanobisFit.truncate(wide, d, 0));
    }
}
