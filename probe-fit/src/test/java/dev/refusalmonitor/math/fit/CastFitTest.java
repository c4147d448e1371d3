package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.VectorOps;
import dev.refusalmonitor.contract.directions.CastParams;
import dev.refusalmonitor.math.score.CastScorer;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
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

class CastFitTest {

    @Test
    void conditionVectorSimilarityAndGridMatchNumpy(@TempDir Path work) throws Exception {
        int d = 256, nH = 120, nS = 150, heldH = 60, heldS = 60;
        SyntheticActivations.Sample sample = SyntheticActivations.generate(
                PlantedTruthSpec.of(nH + heldH, nS + heldS, d, 1, 77L));
        float[] h = Rows.slice(sample.harmful()[0], d, 0, nH), s = Rows.slice(sample.harmless()[0], d, 0, nS);
        float[] hh = Rows.slice(sample.harmful()[0], d, nH, nH + heldH);
        float[] hs = Rows.slice(sample.harmless()[0], d, nS, nS + heldS);
        float[] c = CastFit.conditionVector(h, nH, s, nS, d);
        CastScorer scorer = new CastScorer(c, 0, true);
        double[] simH = new double[heldH], simS = new double[heldS];
        for (int i = 0; i < heldH; i++) simH[i] = scorer.similarity(hh, i * d);
        for (int i = 0; i < heldS; i++) simS[i] = scorer.similarity(hs, i * d);
        CastFit.ThresholdChoice choice = CastFit.searchThreshold(simH, simS, CastFit.DEFAULT_STEP);

        PythonOracle oracle = new PythonOracle(work)
                .input("h", new int[]{nH, d}, h).input("s", new int[]{nS, d}, s)
                .input("held", new int[]{heldH + heldS, d}, Rows.stack(hh, hs))
                .input("simH", new int[]{heldH}, simH).input("simS", new int[]{heldS}, simS);
        oracle.run("""
                H = load('h').astype(np.float64); S = load('s').astype(np.float64)
                mid = (H.mean(0) + S.mean(0)) / 2
                A = np.vstack([H, S]) - mid
                c = np.linalg.svd(A, full_matrices=False)[2][0]
                if (H.mean(0) - S.mean(0)) @ c < 0: c = -c
                save('c', c)
                X = load('held').astype(np.float64)
                c = c.astype(np.float32).astype(np.float64)  # the scorer holds c in f32
                P = np.outer(c, c) / (c @ c)
                T = np.tanh(X @ P.T)
                sim = (X * T).sum(1) / (np.linalg.norm(X, axis=1) * np.linalg.norm(T, axis=1))
                save('sim', sim)
                # grid search on the Java similarities: same grid, same tie rule (middle of the first best run)
                sh = load('simH'); ss = load('simS')
                lo = min(sh.min(), ss.min()); hi = max(sh.max(), ss.max()); step = 0.001
                K = int(np.ceil((hi - lo) / step))
                best = (-1.0, 0, 0, 1.0)  # f1, first k, last k, comparator
                for above in (True, False):
                    ks = np.arange(K + 1); t = lo + ks * step
                    tp = ((sh[None, :] > t[:, None]) if above else (sh[None, :] < t[:, None])).sum(1)
                    fp = ((ss[None, :] > t[:, None]) if above else (ss[None, :] < t[:, None])).sum(1)
                    f1 = np.where(tp == 0, 0.0, 2.0 * tp / (2.0 * tp + fp + (len(sh) - tp)))
                    k0 = int(np.argmax(f1))
                    if f1[k0] > best[0]:
                        k1 = k0
                        while k1 + 1 <= K and f1[k1 + 1] == f1[k0]: k1 += 1
                        best = (f1[k0], k0, k1, 1.0 if above else 0.0)
                save('best', (best[0], lo + ((best[1] + best[2]) // 2) * step, best[3]))
                """);
        double[] cNumpy = oracle.output("c");
        double cos = 0;
        for (int j = 0; j < d; j++) cos += cNumpy[j] * c[j];
        assertTrue(cos >= Tolerances.ORACLE_DIRECTION_COS, "condition vector cosine " + cos + " (sign must agree)");

        double[] sim = oracle.output("sim");
        // The numpy similarity uses numpy's c; the Java one Java's c. Recompute the Java side with numpy's c too,
        // so the formula is compared exactly and the direction separately.
        CastScorer numpyC = new CastScorer(VectorOps.toFloat(cNumpy), 0, true);
        float[] held = Rows.stack(hh, hs);
        for (int i = 0; i < heldH + heldS; i++)
            assertEquals(sim[i], numpyC.similarity(held, i * d), Tolerances.ORACLE_CAST_SIMILARITY_ABS, "row " + i);

        double[] best = oracle.output("best");
        assertEquals(best[0], choice.f1(), Tolerances.F64_REL, "F1");
        assertEquals(best[1], choice.threshold(), Tolerances.F64_REL, "theta");
        assertEquals(best[2] == 1.0, choice.firesAbove(), "comparator");
    }

    /**
     * s(x) ≈ |cos(x, c)| is symmetric in the sign of c·x, so CAST separates classes that sit at different
     * distances from the origin along c: here harmless rows are centred at 0 and harmful ones are shifted along c.
     */
    @Test
    void separatesRowsShiftedAlongTheConditionDirection() {
        int d = 64, n = 200;
        SplittableRandom rnd = new SplittableRandom(21);
        double[] u = new double[d];
        for (int j = 0; j < d; j++) u[j] = rnd.nextGaussian();
        double norm = VectorOps.norm(u);
        float[] h = new float[2 * n * d], s = new float[2 * n * d];
        for (int i = 0; i < 2 * n; i++)
            for (int j = 0; j < d; j++) {
                s[i * d + j] = (float) rnd.nextGaussian();
                h[i * d + j] = (float) (rnd.nextGaussian() + 10 * u[j] / norm);
            }
        float[] c = CastFit.conditionVector(Rows.slice(h, d, 0, n), n, Rows.slice(s, d, 0, n), n, d);
        double cosPlanted = 0;
        for (int j = 0; j < d; j++) cosPlanted += c[j] * u[j] / norm;
        assertTrue(cosPlanted > 0.95, "condition vector follows the shift, harmful higher: cos " + cosPlanted);
        CastFit.Result r = CastFit.fit(new int[]{0}, new float[][]{Rows.slice(h, d, 0, n)}, n,
                new float[][]{Rows.slice(s, d, 0, n)}, n, new float[][]{Rows.slice(h, d, n, 2 * n)}, n,
                new float[][]{Rows.slice(s, d, n, 2 * n)}, n, d, CastFit.DEFAULT_STEP);
        assertTrue(r.best().f1() > 0.95, "F1 " + r.best().f1());
        assertTrue(r.best().firesAbove(), "harmful rows are more aligned with c");
    }

    @Test
    void choosesFiresBelowWhenHarmfulHasTheLowerSimilarity() {
        double[] simH = {0.01, 0.02, 0.03, 0.05};
        double[] simS = {0.20, 0.25, 0.30, 0.35, 0.40};
        CastFit.ThresholdChoice choice = CastFit.searchThreshold(simH, simS, CastFit.DEFAULT_STEP);
        assertFalse(choice.firesAbove(), "harmful rows sit below: the rule must fire when s < θ");
        assertEquals(1.0, choice.f1(), Tolerances.F64_REL);
        assertTrue(choice.threshold() > 0.05 && choice.threshold() < 0.20, "θ = " + choice.threshold());
        CastParams params = new CastParams(new float[]{1}, choice.threshold(), choice.firesAbove(), choice.f1());
        assertTrue(params.fires(0.03));
        assertFalse(params.fires(0.3));
    }

    @Test
    void choosesFiresAboveWhenHarmfulHasTheHigherSimilarity() {
        CastFit.ThresholdChoice choice = CastFit.searchThreshold(new double[]{0.5, 0.6}, new double[]{0.1, 0.2},
                CastFit.DEFAULT_STEP);
        assertTrue(choice.firesAbove());
        assertEquals(1.0, choice.f1(), Tolerances.F64_REL);
        // every θ in [0.2, 0.5) separates the held-out rows; the rule keeps the margin's middle, not its edge
        assertEquals(0.35, choice.threshold(), 0.002);
    }

    @Test
    void fastTanhSimilarityMatchesMathTanh() {
        SplittableRandom rnd = new SplittableRandom(9);
        for (int d : new int[]{1, 7, 384, 1024}) {
            float[] c = new float[d];
            for (int j = 0; j < d; j++) c[j] = (float) rnd.nextGaussian();
            CastScorer scorer = new CastScorer(c, 0, true);
            for (double scale : new double[]{1e-4, 0.05, 1, 30, 1e4}) {
                float[] x = new float[d];
                for (int j = 0; j < d; j++) x[j] = (float) (scale * rnd.nextGaussian() + 0.3 * scale * c[j]);
                double slow = slowSimilarity(x, c);
                double fast = scorer.similarity(x);
                assertEquals(slow, fast, Tolerances.CAST_SIMILARITY_ABS, "d=" + d + " scale=" + scale);
            }
        }
        for (double y = -25; y <= 25; y += 0.001)
            assertEquals(Math.tanh((float) y), CastScorer.tanh((float) y), Tolerances.TANH_F32_ABS, "tanh " + y);
    }

    /** The DESIGN formula with Math.tanh and an explicit projection P x. */
    private static double slowSimilarity(float[] x, float[] c) {
        int d = c.length;
        double cc = 0, cx = 0;
        for (int j = 0; j < d; j++) {
            cc += (double) c[j] * c[j];
            cx += (double) c[j] * x[j];
        }
        double[] t = new double[d];
        for (int j = 0; j < d; j++) t[j] = Math.tanh(c[j] * cx / cc);
        double xt = 0, xx = 0, tt = 0;
        for (int j = 0; j < d; j++) {
            xt += x[j] * t[j];
            xx += (double) x[j] * x[j];
            tt += t[j] * t[j];
        }
        return xt / Math.sqrt(xx * tt);
    }

    @Test
    void fitPicksTheBestLayerAndTheEarlierOneOnATie() {
        int d = 32, n = 60;
        SyntheticActivations.Sample sample = SyntheticActivations.generate(
                new PlantedTruthSpec(2 * n, 2 * n, d, 3, 8.0, 0, 1.0, 2, 0.0, 5L));
        float[][] th = new float[3][], ts = new float[3][], hh = new float[3][], hs = new float[3][];
        for (int l = 0; l < 3; l++) {
            th[l] = Rows.slice(sample.harmful()[l], d, 0, n);
            ts[l] = Rows.slice(sample.harmless()[l], d, 0, n);
            hh[l] = Rows.slice(sample.harmful()[l], d, n, 2 * n);
            hs[l] = Rows.slice(sample.harmless()[l], d, n, 2 * n);
        }
        CastFit.Result r = CastFit.fit(new int[]{4, 5, 6}, th, n, ts, n, hh, n, hs, n, d, CastFit.DEFAULT_STEP);
        assertEquals(3, r.perLayer().size());
        double bestF1 = r.best().f1();
        for (int l = 0; l < 3; l++) {
            assertTrue(r.perLayer().get(l).f1() <= bestF1);
            if (r.perLayer().get(l).f1() == bestF1) {
                assertEquals(l, r.bestIndex(), "the earliest layer with the best F1 wins");
                break;
            }
        }
    }

    @Test
    void badInputIsRejectedWithAClearMessage() {
        float[] two = {1, 2, 3, 4};
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> CastFit.conditionVector(new float[0], 0, two, 2, 2));
        assertTrue(empty.getMessage().contains("harmful"), empty.getMessage());
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> CastFit.conditionVector(two, 2, new float[]{1, 2, 3}, 1, 2));
        assertTrue(mismatch.getMessage().contains("harmless"), mismatch.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CastFit.searchThreshold(new double[0], new double[]{1}, 0.001));
        assertThrows(IllegalArgumentException.class, () -> new CastScorer(new float[]{0, 0}, 0, true));
    }
}
