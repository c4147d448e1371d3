package dev.refusalmonitor.math.drift;

import dev.refusalmonitor.math.testing.PythonOracle;
import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DriftStatisticsTest {

    @Test
    void psiMatchesHandComputedValue() {
        // shares .5/.3/.2 vs .4/.4/.2: 0.1·ln(1.25) + (−0.1)·ln(0.75) + 0
        double expected = 0.1 * Math.log(1.25) - 0.1 * Math.log(0.75);
        assertEquals(0.05108256237659907, expected, 1e-15);
        assertEquals(expected, DriftStatistics.psi(new long[] {50, 30, 20}, new long[] {40, 40, 20}), 1e-12);
        assertEquals(expected, DriftStatistics.psi(new long[] {5, 3, 2}, new long[] {40, 40, 20}), 1e-12, "shares, not counts");
        assertEquals(expected, DriftStatistics.psi(new long[] {40, 40, 20}, new long[] {50, 30, 20}), 1e-12, "symmetric");
    }

    @Test
    void psiFloorsEmptyBinsAtEpsilon() {
        // a = 0/10, 10/10 against e = 5/10, 5/10: (1e-4 − 0.5)·ln(1e-4/0.5) + 0.5·ln 2 = 4.60431846666895
        assertEquals(1e-4, DriftStatistics.PSI_EPSILON);
        assertEquals(4.60431846666895, DriftStatistics.psi(new long[] {0, 10}, new long[] {5, 5}), 1e-12);
        assertEquals(0.0, DriftStatistics.psi(new long[] {0, 7, 3}, new long[] {0, 70, 30}), 1e-15);
    }

    @Test
    void ksStatisticMatchesHandComputedValue() {
        // CDFs .5/.8/1 vs .4/.8/1
        assertEquals(0.1, DriftStatistics.ksStatistic(new long[] {50, 30, 20}, new long[] {40, 40, 20}), 1e-15);
        // all mass in the first bin vs all in the last: D = 1
        assertEquals(1.0, DriftStatistics.ksStatistic(new long[] {3, 0, 0}, new long[] {0, 0, 9}), 0);
    }

    @Test
    void kolmogorovTailMatchesKnownValues() {
        // Q_KS(1.36) ≈ 0.05 is the textbook 5 % point; values from 2 Σ (−1)^{k−1} e^{−2k²λ²} summed in numpy.
        assertEquals(0.2699996716773545, DriftStatistics.kolmogorovTail(1.0), 1e-12);
        assertEquals(0.049485876755377876, DriftStatistics.kolmogorovTail(1.36), 1e-12);
        assertEquals(0.9639452436648751, DriftStatistics.kolmogorovTail(0.5), 1e-12);
        assertEquals(0.0014636048371873506, DriftStatistics.kolmogorovTail(1.9), 1e-12);
        assertEquals(1.0, DriftStatistics.kolmogorovTail(0), 0);
        // Both series agree at the switch point.
        assertEquals(DriftStatistics.kolmogorovTail(Math.nextDown(1.18)), DriftStatistics.kolmogorovTail(1.18), 1e-12);
        // p-value uses √(n_a n_e/(n_a + n_e)) · D
        assertEquals(DriftStatistics.kolmogorovTail(Math.sqrt(100.0 * 300 / 400) * 0.2),
                DriftStatistics.ksPValue(0.2, 100, 300), 1e-15);
    }

    @Test
    void psiKsAndPValuesMatchNumpy(@TempDir Path tmp) throws Exception {
        SplittableRandom rng = new SplittableRandom(7);
        int cases = 12, bins = 20;
        double[] a = new double[cases * bins], e = new double[cases * bins], na = new double[cases], ne = new double[cases];
        double[] psi = new double[cases], ks = new double[cases], p = new double[cases];
        for (int c = 0; c < cases; c++) {
            long[] ca = new long[bins], ce = new long[bins];
            // Skewed, sometimes sparse bins so the ε floor matters in some cases.
            for (int i = 0; i < 50 + 40 * c; i++) ca[(int) (bins * Math.pow(rng.nextDouble(), 1 + c % 3))]++;
            for (int i = 0; i < 400; i++) ce[(int) (bins * Math.pow(rng.nextDouble(), 1.5))]++;
            for (int i = 0; i < bins; i++) {
                a[c * bins + i] = ca[i];
                e[c * bins + i] = ce[i];
                na[c] += ca[i];
                ne[c] += ce[i];
            }
            psi[c] = DriftStatistics.psi(ca, ce);
            ks[c] = DriftStatistics.ksStatistic(ca, ce);
            p[c] = DriftStatistics.ksPValue(ks[c], (long) na[c], (long) ne[c]);
        }
        PythonOracle o = new PythonOracle(tmp)
                .input("a", new int[] {cases, bins}, a)
                .input("e", new int[] {cases, bins}, e);
        o.run("""
                a = load('a'); e = load('e')
                sa = a / a.sum(1, keepdims=True); se = e / e.sum(1, keepdims=True)
                fa = np.maximum(sa, 1e-4); fe = np.maximum(se, 1e-4)
                save('psi', ((fa - fe) * np.log(fa / fe)).sum(1))
                ks = np.abs(np.cumsum(sa, 1) - np.cumsum(se, 1)).max(1)
                save('ks', ks)
                neff = a.sum(1) * e.sum(1) / (a.sum(1) + e.sum(1))
                lam = np.sqrt(neff) * ks
                k = np.arange(1, 201)[None, :]
                q = 2 * ((-1.0) ** (k - 1) * np.exp(-2 * k**2 * lam[:, None]**2)).sum(1)
                save('p', np.clip(q, 0, 1))
                """);
        double[] psiPy = o.output("psi"), ksPy = o.output("ks"), pPy = o.output("p");
        for (int c = 0; c < cases; c++) {
            assertEquals(psiPy[c], psi[c], Tolerances.ORACLE_DRIFT_ABS, "psi case " + c);
            assertEquals(ksPy[c], ks[c], Tolerances.ORACLE_DRIFT_ABS, "ks case " + c);
            // The alternating series is inaccurate for small λ in numpy too; compare where it converges (λ ≥ 0.3).
            if (Math.sqrt(na[c] * ne[c] / (na[c] + ne[c])) * ks[c] >= 0.3) {
                assertEquals(pPy[c], p[c], Tolerances.ORACLE_DRIFT_ABS, "ks p-value case " + c);
            }
        }
    }

    @Test
    void newcombeHybridScoreMatchesThePublishedExamples() {
        // Newcombe (1998) Stat Med 17:873–890, Table II, method 10 (score interval, no continuity correction).
        long[][] ex = {{56, 70, 48, 80}, {9, 10, 3, 10}, {6, 7, 2, 7}, {5, 56, 0, 29}, {0, 10, 0, 20}, {0, 10, 0, 10},
                {10, 10, 0, 20}, {10, 10, 0, 10}};
        double[][] ci = {{0.0524, 0.3339}, {0.1705, 0.8090}, {0.0582, 0.8062}, {-0.0381, 0.1926}, {-0.1611, 0.2775},
                {-0.2775, 0.2775}, {0.6791, 1.0000}, {0.6075, 1.0000}};
        for (int i = 0; i < ex.length; i++) {
            RateDifference r = DriftStatistics.rateDifference(ex[i][0], ex[i][1], ex[i][2], ex[i][3]);
            assertEquals(ci[i][0], r.lower(), Tolerances.PUBLISHED_4DP_ABS, "lower, example " + i);
            assertEquals(ci[i][1], r.upper(), Tolerances.PUBLISHED_4DP_ABS, "upper, example " + i);
            assertEquals((double) ex[i][0] / ex[i][1] - (double) ex[i][2] / ex[i][3], r.difference(), 1e-15);
        }
        assertTrue(DriftStatistics.rateDifference(56, 70, 48, 80).significant());
        assertFalse(DriftStatistics.rateDifference(5, 56, 0, 29).significant());
        assertTrue(DriftStatistics.rateDifference(0, 100, 30, 100).significant(), "a significant drop");
    }

    @Test
    void wilsonAndNewcombeMatchNumpy(@TempDir Path tmp) throws Exception {
        long[][] cases = {{20, 200, 196, 2000}, {30, 200, 196, 2000}, {2, 200, 20, 2000}, {0, 200, 20, 2000},
                {200, 200, 1990, 2000}, {1, 3, 2, 5}};
        double[] in = new double[cases.length * 4];
        double[] out = new double[cases.length * 2];
        for (int i = 0; i < cases.length; i++) {
            for (int j = 0; j < 4; j++) in[i * 4 + j] = cases[i][j];
            RateDifference r = DriftStatistics.rateDifference(cases[i][0], cases[i][1], cases[i][2], cases[i][3]);
            out[i * 2] = r.lower();
            out[i * 2 + 1] = r.upper();
        }
        PythonOracle o = new PythonOracle(tmp).input("c", new int[] {cases.length, 4}, in);
        o.run("""
                c = load('c'); z = 1.959963984540054
                def wilson(x, n):
                    # roots of (x/n - p)^2 = z^2 p (1 - p) / n, a quadratic in p
                    A = 1 + z*z/n; B = -(2*x/n + z*z/n); C = (x/n)**2
                    d = np.sqrt(B*B - 4*A*C)
                    return (-B - d) / (2*A), (-B + d) / (2*A)
                res = []
                for xa, na, xe, ne in c:
                    pa, pe = xa/na, xe/ne
                    la, ua = wilson(xa, na); le, ue = wilson(xe, ne)
                    res += [pa - pe - np.sqrt((pa-la)**2 + (ue-pe)**2), pa - pe + np.sqrt((ua-pa)**2 + (pe-le)**2)]
                save('ci', np.array(res))
                """);
        double[] ci = o.output("ci");
        for (int i = 0; i < out.length; i++) assertEquals(ci[i], out[i], Tolerances.ORACLE_DRIFT_ABS, "bound " + i);
    }

    @Test
    void twoProportionZIsPooledAndSigned() {
        // p̄ = 50/300; se = √(p̄ q̄ (1/100 + 1/200))
        double pbar = 50.0 / 300, se = Math.sqrt(pbar * (1 - pbar) * (1.0 / 100 + 1.0 / 200));
        assertEquals((0.2 - 0.15) / se, DriftStatistics.twoProportionZ(20, 100, 30, 200), 1e-12);
        assertEquals(-(0.2 - 0.15) / se, DriftStatistics.twoProportionZ(30, 200, 20, 100), 1e-12);
        assertEquals(0.0, DriftStatistics.twoProportionZ(0, 100, 0, 200), 0);
    }

    @Test
    void badInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> DriftStatistics.psi(new long[] {1, 2}, new long[] {1}));
        assertThrows(IllegalArgumentException.class, () -> DriftStatistics.psi(new long[] {0, 0}, new long[] {1, 1}));
        assertThrows(IllegalArgumentException.class, () -> DriftStatistics.ksStatistic(new long[] {-1, 2}, new long[] {1, 1}));
        assertThrows(IllegalArgumentException.class, () -> DriftStatistics.rateDifference(5, 4, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> DriftStatistics.rateDifference(0, 0, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> DriftStatistics.ksPValue(1.5, 10, 10));
        assertThrows(IllegalArgumentException.class,
                () -> DriftStatistics.psi(ScoreHistogram.probability(10), ScoreHistogram.probability(20)));
    }
}
