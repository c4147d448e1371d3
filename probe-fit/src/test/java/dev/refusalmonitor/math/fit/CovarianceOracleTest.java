package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.VectorOps;
import dev.refusalmonitor.contract.directions.MahalanobisParams;
import dev.refusalmonitor.math.score.MahalanobisScorer;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import dev.refusalmonitor.math.testing.PythonOracle;
import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ledoit–Wolf, DIM, Fisher and Mahalanobis (both paths) against numpy / scikit-learn on planted-truth data
 * (anisotropic scales, rogue dimensions, correlated factors, class imbalance), for n &lt; d and n &gt; d, d = 1 to
 * 1024, raw and L2-normalised.
 */
class CovarianceOracleTest {

    private static final String SCRIPT = """
            from sklearn.covariance import LedoitWolf
            H = load('harmful').astype(np.float64)
            S = load('harmless').astype(np.float64)
            Q = load('heldout').astype(np.float64)
            l2 = bool(load('flags')[0])
            if l2:
                H = H / np.linalg.norm(H, axis=1, keepdims=True)
                S = S / np.linalg.norm(S, axis=1, keepdims=True)
                Q = Q / np.linalg.norm(Q, axis=1, keepdims=True)
            mH, mS = H.mean(0), S.mean(0)
            X = np.vstack([H - mH, S - mS])
            lw = LedoitWolf(assume_centered=True).fit(X)
            C = lw.covariance_
            save('shrinkage', [lw.shrinkage_])
            save('mu', [np.trace(X.T @ X / X.shape[0]) / X.shape[1]])
            r = mH - mS
            save('dim', r / np.linalg.norm(r))
            w = np.linalg.solve(C, r)
            save('fisher', w / np.linalg.norm(w))
            ev = np.linalg.eigvalsh(C)
            save('eig', ev[::-1])
            def dist(M, m):
                E = Q - m
                return np.sqrt(np.einsum('ij,ij->i', E, np.linalg.solve(M, E.T).T))
            save('dH', dist(C, mH))
            save('dS', dist(C, mS))
            # Low-rank path with the Java eigenpairs: Sigma^-1 ~= V diag(1/lam - 1/rem) V^T + I/rem.
            V = load('V'); lam = load('lam'); rem = load('rem')[0]
            P = V.T @ np.diag(1.0 / lam - 1.0 / rem) @ V + np.eye(V.shape[1]) / rem
            def dist_inv(P, m):
                E = Q - m
                return np.sqrt(np.maximum(np.einsum('ij,ij->i', E, E @ P), 0))
            save('lrH', dist_inv(P, mH))
            save('lrS', dist_inv(P, mS))
            """;

    @ParameterizedTest(name = "nH={0} nS={1} d={2} l2={3} k={4}")
    @CsvSource({
            "5, 8, 1, false, 1",          // d = 1: sklearn's shrinkage is 0
            "300, 700, 64, false, 16",    // n > d, direct eigen path for the extremes
            "40, 90, 256, false, 32",     // n < d: floor is exactly shrinkage * mu
            "900, 500, 256, false, 64",   // n > d: floor by subspace iteration on the inverse
            "120, 200, 128, true, 16",    // Mahalanobis++ (L2-normalised)
            "150, 250, 1024, false, 64",  // n < d at d = 1024
    })
    void matchesNumpyAndScikitLearn(int nH, int nS, int d, boolean l2, int k, @TempDir Path work) throws Exception {
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(nH + 20, nS + 20, d, 1, 42L + d));
        float[] h = s.harmful()[0], sRows = s.harmless()[0];
        ClassData data = new ClassData(Arrays.copyOf(h, nH * d), nH, Arrays.copyOf(sRows, nS * d), nS, d);
        // Held-out rows: the 20 unused rows of each class.
        float[] held = new float[40 * d];
        System.arraycopy(h, nH * d, held, 0, 20 * d);
        System.arraycopy(sRows, nS * d, held, 20 * d, 20 * d);

        PooledCovariance cov = PooledCovariance.fit(data, l2);
        MahalanobisFit.Result fit = MahalanobisFit.fit(cov, new MahalanobisFit.Options(k, true, l2, null));
        MahalanobisParams p = fit.params();

        PythonOracle oracle = new PythonOracle(work)
                .input("harmful", new int[] {nH, d}, data.harmful())
                .input("harmless", new int[] {nS, d}, data.harmless())
                .input("heldout", new int[] {40, d}, held)
                .input("flags", new int[] {1}, new double[] {l2 ? 1 : 0})
                .input("V", new int[] {p.k(), d}, fit.lowRank().eigenvectors())
                .input("lam", new int[] {p.k()}, p.eigenvalues())
                .input("rem", new int[] {1}, new double[] {p.remainderVariance()});
        oracle.run(SCRIPT);

        assertEquals(oracle.scalar("shrinkage"), cov.shrinkage(), Tolerances.ORACLE_SHRINKAGE_ABS, "Ledoit-Wolf shrinkage");
        assertEquals(cov.shrinkage(), p.shrinkage(), 0.0);
        assertRel(oracle.scalar("mu"), p.traceOverD(), Tolerances.F64_REL * 1e3, "tr(S)/d");

        double[] eig = oracle.output("eig");
        assertRel(eig[d - 1], p.eigenvalueFloor(), Tolerances.ORACLE_EIGENVALUE_REL, "eigenvalue floor");
        assertRel(eig[0] / eig[d - 1], p.conditionNumber(), Tolerances.ORACLE_EIGENVALUE_REL, "condition number");
        for (int j = 0; j < p.k(); j++) assertRel(eig[j], p.eigenvalues()[j], Tolerances.ORACLE_EIGENVALUE_REL, "eigenvalue " + j);
        double restMean = 0;
        for (int j = p.k(); j < d; j++) restMean += eig[j];
        if (p.k() < d) assertRel(restMean / (d - p.k()), p.remainderVariance(), Tolerances.ORACLE_EIGENVALUE_REL, "remainder variance");

        if (!l2) {
            assertTrue(VectorOps.cosine(VectorOps.toFloat(oracle.output("dim")), DimFit.direction(data)) >= Tolerances.ORACLE_DIRECTION_COS, "DIM");
            assertTrue(VectorOps.cosine(VectorOps.toFloat(oracle.output("fisher")), FisherFit.direction(cov)) >= Tolerances.ORACLE_DIRECTION_COS, "Fisher");
        }

        // The formula with the fitted f32 eigenvectors at the oracle tolerance; the default (compact) storage at its own.
        MahalanobisScorer scorer = new MahalanobisScorer(fit.meanHarmful(), fit.meanHarmless(), p, MahalanobisScorer.EigenvectorStorage.F32);
        MahalanobisScorer compact = new MahalanobisScorer(fit.meanHarmful(), fit.meanHarmless(), p);
        MahalanobisScorer.Scratch scratch = scorer.newScratch();
        MahalanobisScorer.Result r = new MahalanobisScorer.Result();
        double[] dH = oracle.output("dH"), dS = oracle.output("dS"), lrH = oracle.output("lrH"), lrS = oracle.output("lrS");
        for (int i = 0; i < 40; i++) {
            scorer.score(held, i * d, true, scratch, r);
            assertTrue(r.exact());
            assertRel(dH[i], r.dHarmful(), Tolerances.ORACLE_MAHALANOBIS_REL, "exact d_H row " + i);
            assertRel(dS[i], r.dHarmless(), Tolerances.ORACLE_MAHALANOBIS_REL, "exact d_S row " + i);
            scorer.score(held, i * d, false, scratch, r);
            assertTrue(!r.exact());
            assertRel(lrH[i], r.dHarmful(), Tolerances.ORACLE_MAHALANOBIS_REL, "low-rank d_H row " + i);
            assertRel(lrS[i], r.dHarmless(), Tolerances.ORACLE_MAHALANOBIS_REL, "low-rank d_S row " + i);
            compact.score(held, i * d, false, scratch, r);
            assertRel(lrH[i], r.dHarmful(), Tolerances.COMPACT_EIGENVECTORS_DISTANCE_REL, "compact low-rank d_H row " + i);
            assertRel(lrS[i], r.dHarmless(), Tolerances.COMPACT_EIGENVECTORS_DISTANCE_REL, "compact low-rank d_S row " + i);
        }
    }

    static void assertRel(double expected, double actual, double rel, String what) {
        assertEquals(expected, actual, rel * Math.abs(expected), what + ": expected " + expected + ", got " + actual);
    }
}
