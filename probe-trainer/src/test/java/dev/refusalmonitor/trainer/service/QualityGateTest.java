package dev.refusalmonitor.trainer.service;

import dev.refusalmonitor.math.fit.DirectionFitter;
import dev.refusalmonitor.math.fit.LabelledLayers;
import dev.refusalmonitor.math.fit.LayerReport;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QualityGateTest {

    static LabelledLayers planted(int n, int d, long seed, double separation) {
        SyntheticActivations.Sample s = SyntheticActivations.generate(PlantedTruthSpec.of(n, n, d, 3, seed).withSeparation(separation));
        return new LabelledLayers(new int[]{0, 1, 2}, s.harmful(), n, s.harmless(), n, d, s.harmfulResponses());
    }

    /** The same rows with labels reassigned at random (class sizes kept). */
    static LabelledLayers shuffled(LabelledLayers x, long seed) {
        int n = x.nHarmful() + x.nHarmless(), d = x.d();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
        }
        float[][] h = new float[x.layerCount()][x.nHarmful() * d];
        float[][] s = new float[x.layerCount()][x.nHarmless() * d];
        for (int l = 0; l < x.layerCount(); l++)
            for (int i = 0; i < n; i++) {
                int src = perm[i];
                float[] from = src < x.nHarmful() ? x.harmful()[l] : x.harmless()[l];
                int off = (src < x.nHarmful() ? src : src - x.nHarmful()) * d;
                if (i < x.nHarmful()) System.arraycopy(from, off, h[l], i * d, d);
                else System.arraycopy(from, off, s[l], (i - x.nHarmful()) * d, d);
            }
        return new LabelledLayers(x.layers(), h, x.nHarmful(), s, x.nHarmless(), d, null);
    }

    private static DirectionFitter.Options options(String model) {
        return DirectionFitter.Options.defaults(model);
    }

    @Test
    void shouldReturnTheRowsTheFitHeldOut() {
        LabelledLayers data = planted(80, 16, 11, 2.5);
        DirectionFitter.Options o = options("m");
        DirectionFitter.Result implicit = DirectionFitter.fit(data, null, o);
        DirectionFitter.Split split = DirectionFitter.split(data, o.holdoutFraction(), o.seed());
        LabelledLayers held = implicit.heldOut();
        assertEquals(split.holdout().nHarmful(), held.nHarmful());
        assertEquals(split.holdout().nHarmless(), held.nHarmless());
        DirectionFitter.Result explicit = DirectionFitter.fit(split.train(), held, o);
        List<LayerReport> a = implicit.report().layers(), b = explicit.report().layers();
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).holdoutHarmful(), held.nHarmful());
            assertEquals(a.get(i).probeAuc(), b.get(i).probeAuc(), 0.0);
            assertEquals(a.get(i).dimAuc(), b.get(i).dimAuc(), 0.0);
            assertEquals(a.get(i).mahalanobisAuc(), b.get(i).mahalanobisAuc(), 0.0);
        }
    }

    @Test
    void shouldPassAGoodFitAndFailItOnAnUnreachableAucFloor() {
        LabelledLayers data = planted(80, 16, 12, 3.0);
        DirectionFitter.Result r = DirectionFitter.fit(data, null, options("m"));
        LabelledLayers held = r.heldOut();
        GateResult ok = new QualityGate(0.7, 0.05, 0.02).evaluate(r.report(), held, null);
        assertTrue(ok.passed(), ok::summary);
        assertEquals("no-version-in-force", ok.comparison());
        GateResult no = new QualityGate(1.01, 0.05, 0.02).evaluate(r.report(), held, null);
        assertFalse(no.passed());
        assertEquals(GateResult.AUC_BELOW_FLOOR, no.failures().get(0).reason());
    }

    @Test
    void shouldRefuseASetThatRegressesAgainstTheVersionInForceOnTheSameRows() {
        // One geometry (one seed), two disjoint halves: the in-force set is fitted on the first.
        LabelledLayers all = planted(200, 16, 13, 3.0);
        int[] first = java.util.stream.IntStream.range(0, 100).toArray();
        int[] second = java.util.stream.IntStream.range(100, 200).toArray();
        LabelledLayers good = all.rows(first, first);
        LabelledLayers fresh = all.rows(second, second);
        DirectionSetModelHolder inForce = new DirectionSetModelHolder(DirectionFitter.fit(good, null, options("m")));
        // A candidate fitted on labels that carry no signal has a held-out AUC near 0.5; the rows the version in
        // force is scored on are truthfully labelled ones (in the service they are the candidate's own held-out rows).
        DirectionFitter.Result candidate = DirectionFitter.fit(shuffled(good, 5), null, options("m"));
        LabelledLayers held = DirectionFitter.split(fresh, 0.25, 7).holdout();
        // Floors off: only the comparison can fail it.
        GateResult g = new QualityGate(0, -1, 0.02).evaluate(candidate.report(), held, inForce.result.set());
        assertEquals("compared", g.comparison());
        assertFalse(g.passed(), g::summary);
        assertEquals(GateResult.REGRESSION, g.failures().get(0).reason());
        assertEquals(1, g.inForceVersion());
        // A fresh fit on the same good distribution does not regress.
        DirectionFitter.Result next = DirectionFitter.fit(fresh, null, options("m"));
        GateResult g2 = new QualityGate(0, -1, 0.05).evaluate(next.report(), held, inForce.result.set());
        assertTrue(g2.passed(), g2::summary);
    }

    private record DirectionSetModelHolder(DirectionFitter.Result result) {
    }
}
