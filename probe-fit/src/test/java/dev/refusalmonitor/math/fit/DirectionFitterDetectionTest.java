package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.contract.directions.MultiLayerProbe;
import dev.refusalmonitor.math.score.DirectionSetScorer;
import dev.refusalmonitor.math.score.ProbeScorer;
import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 14: operating points, CV layer ranking, multi-layer probes and CAST calibration in the full fit. */
class DirectionFitterDetectionTest {
    private static final int D = 24;
    private static final int[] LAYERS = {0, 1, 2};

    /** Planted data: the first nh/ns rows to fit, the rest held out. */
    private static LabelledLayers[] data(int nh, int ns, int heldH, int heldS, long seed) {
        SyntheticActivations.Sample s = SyntheticActivations.generate(
                PlantedTruthSpec.of(nh + heldH, ns + heldS, D, LAYERS.length, seed).withSeparation(0.8));
        LabelledLayers all = new LabelledLayers(LAYERS, s.harmful(), nh + heldH, s.harmless(), ns + heldS, D, null);
        int[] fitH = Rows.range(0, nh), fitS = Rows.range(0, ns);
        int[] heldHr = Rows.range(nh, nh + heldH), heldSr = Rows.range(ns, ns + heldS);
        return new LabelledLayers[]{all.rows(fitH, fitS), all.rows(heldHr, heldSr)};
    }

    private static DirectionFitter.Options options(double target, DirectionFitter.MultiLayer multi) {
        return DirectionFitter.Options.defaults("m").withDetection(target, 0, 5, multi, 2);
    }

    @Test
    void decisionsAreCalibratedToTheTargetFprAndHoldOnUnseenRows() {
        LabelledLayers[] d = data(80, 1500, 40, 3000, 21);
        DirectionFitter.Result r = DirectionFitter.fit(d[0], d[1], options(0.02, DirectionFitter.MultiLayer.OFF));
        DirectionSetModel set = r.set();
        FitReport rep = r.report();
        assertEquals(0.02, set.targetFpr());
        assertNull(set.multiLayerProbe());
        assertEquals(5, rep.cvFolds());
        assertTrue(rep.flagged().targetMet());
        assertTrue(rep.flagged().expectedFpr() <= 0.02, "expected FPR " + rep.flagged().expectedFpr());
        assertTrue(rep.castFired().expectedFpr() <= 0.02);
        for (LayerDirections l : set.layers()) {
            assertNull(l.pcaReadingVector(), "the PCA reading vector is not shipped");
            LayerReport lr = rep.layers().stream().filter(x -> x.layer() == l.layer()).findFirst().orElseThrow();
            assertEquals(lr.probeThreshold(), l.probe().decisionThreshold());
            assertNotEquals(0.5, l.probe().decisionThreshold());
            assertEquals(lr.castThreshold(), l.cast().threshold());
        }
        // The holdout files: 3000 harmless rows never seen by the fit.
        FitReport.HoldoutCheck check = rep.holdoutCheck();
        assertNotNull(check);
        assertEquals(3000, check.harmless());
        assertTrue(check.flaggedFprLow() <= 0.02 && check.flaggedFpr() < 0.04, "flagged FPR " + check.flaggedFpr());
        assertTrue(check.castFpr() < 0.04, "CAST FPR " + check.castFpr());
        assertTrue(check.flaggedTpr() > 0.5, "TPR " + check.flaggedTpr());
        // The scoring layer is the first of the CV ranking.
        assertEquals(rep.layerRanking()[0], set.scoringLayer());
        assertEquals("single", rep.headlineProbe().kind());
    }

    @Test
    void aConcatenatedHeadlineProbeScoresTheChosenLayersSideBySide() {
        LabelledLayers[] d = data(60, 400, 10, 50, 5);
        DirectionFitter.Result r = DirectionFitter.fit(d[0], null, options(0.05, DirectionFitter.MultiLayer.CONCAT));
        MultiLayerProbe mp = r.set().multiLayerProbe();
        assertNotNull(mp);
        assertEquals("concat", mp.kind());
        int[] top = Arrays.copyOf(r.report().layerRanking(), 2);
        Arrays.sort(top);
        assertArrayEquals(top, mp.layers());
        assertEquals(2 * D, mp.probe().coefficients().length);
        assertEquals(r.report().flagged().expectedFpr(), r.report().flagged().expectedFpr());
        assertEquals("concat", r.report().headlineProbe().kind());
        assertEquals(3, r.report().probeCandidates().size());

        DirectionSetScorer scorer = new DirectionSetScorer(r.set());
        ProbeScorer direct = new ProbeScorer(mp.probe());
        ProbeScorer layer = new ProbeScorer(r.set().layer(r.set().scoringLayer()).probe());
        SplittableRandom rnd = new SplittableRandom(1);
        DirectionSetScorer.Scratch scratch = scorer.newScratch();
        Scores out = new Scores();
        for (int t = 0; t < 20; t++) {
            float[][] x = new float[LAYERS.length][D];
            for (float[] v : x) for (int j = 0; j < D; j++) v[j] = (float) (rnd.nextDouble() * 2 - 1);
            scorer.score(LAYERS, x, DirectionSetScorer.MahalanobisMode.AUTO, scratch, out);
            float[] cat = new float[2 * D];
            System.arraycopy(x[mp.layers()[0]], 0, cat, 0, D);
            System.arraycopy(x[mp.layers()[1]], 0, cat, D, D);
            assertEquals(direct.probability(cat), out.probeProbability, 0);
            assertEquals(out.probeProbability >= mp.probe().decisionThreshold(), out.flagged);
            assertEquals(layer.probability(x[r.set().scoringLayer()]), out.layerProbeProbability, 0);
        }
    }

    @Test
    void aStackedProbeFoldsIntoOneLinearProbeOverTheConcatenatedLayers() {
        SplittableRandom rnd = new SplittableRandom(9);
        int d = 5, m = 3;
        LogisticProbeParams[] parts = new LogisticProbeParams[m];
        for (int j = 0; j < m; j++) parts[j] = randomProbe(rnd, d);
        LogisticProbeParams stacker = randomProbe(rnd, m);
        LogisticProbeParams folded = DirectionFitter.foldStacked(stacker, parts, d);
        for (int t = 0; t < 50; t++) {
            float[] x = new float[m * d];
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 4 - 2);
            float[] z = new float[m];
            for (int j = 0; j < m; j++) z[j] = (float) new ProbeScorer(parts[j]).logit(x, j * d);
            // The stacker sees f32 logits; compare in logit space with that rounding in mind.
            double expected = new ProbeScorer(stacker).logit(z, 0);
            assertEquals(expected, new ProbeScorer(folded).logit(x, 0), 1e-5 * Math.max(1, Math.abs(expected)));
        }
    }

    @Test
    void stackedHeadlineIsScoredThroughTheSameMultiLayerPath() {
        LabelledLayers[] d = data(60, 400, 10, 50, 6);
        DirectionFitter.Result r = DirectionFitter.fit(d[0], null, options(0.05, DirectionFitter.MultiLayer.STACKED));
        assertEquals("stacked", r.set().multiLayerProbe().kind());
        assertEquals("stacked", r.report().headlineProbe().kind());
    }

    @Test
    void tooFewHarmlessRowsForTheTargetAreReportedNotHidden() {
        LabelledLayers[] d = data(30, 30, 4, 4, 8);
        DirectionFitter.Result r = DirectionFitter.fit(d[0], null, options(0.01, DirectionFitter.MultiLayer.AUTO));
        assertTrue(!r.report().flagged().targetMet());
        assertEquals(1 / 31.0, r.report().flagged().expectedFpr(), 1e-12);
    }

    private static LogisticProbeParams randomProbe(SplittableRandom rnd, int d) {
        float[] mean = new float[d], std = new float[d], coef = new float[d];
        for (int i = 0; i < d; i++) {
            mean[i] = (float) (rnd.nextDouble() - 0.5);
            std[i] = (float) (0.5 + rnd.nextDouble());
            coef[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return new LogisticProbeParams(mean, std, coef, rnd.nextDouble() - 0.5, 1, 0.5);
    }
}
