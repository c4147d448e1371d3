package dev.refusalmonitor.math.score;

import dev.refusalmonitor.contract.directions.DirectionSetModel;
import dev.refusalmonitor.contract.directions.LayerDirections;
import dev.refusalmonitor.math.fit.DirectionFitter;
import dev.refusalmonitor.math.fit.LabelledLayers;
import dev.refusalmonitor.math.synthetic.PlantedTruthSpec;
import dev.refusalmonitor.math.synthetic.SyntheticActivations;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DirectionSetScorer#scoreBatch} must give every request the bits {@link DirectionSetScorer#score} gives it
 * alone: the stream scores in batches, the offline {@code score} command one record at a time, and the two must
 * agree. Sets fitted on planted data with every scorer present (multi-layer probe, refusal plane, ensemble over four
 * layers), a rank that is not a multiple of the kernels' four-row blocks, and both Mahalanobis paths.
 */
class BatchScoringTest {
    private static final int D = 192;
    private static final int[] LAYERS = {3, 6, 9, 12};
    private static DirectionSetModel lowRank, exact;
    private static float[][][] requests;

    @BeforeAll
    static void fit() {
        SyntheticActivations.Sample s = SyntheticActivations.generate(
                PlantedTruthSpec.of(160, 160, D, LAYERS.length, 5).withSeparation(0.9));
        LabelledLayers data = new LabelledLayers(LAYERS, s.harmful(), 160, s.harmless(), 160, D, s.harmfulResponses());
        lowRank = DirectionFitter.fit(data, null, options(0)).set();
        exact = DirectionFitter.fit(data, null, options(1024)).set();
        SyntheticActivations.Sample held = SyntheticActivations.generate(
                PlantedTruthSpec.of(12, 12, D, LAYERS.length, 6).withSeparation(0.9));
        SplittableRandom rnd = new SplittableRandom(7);
        requests = new float[24][LAYERS.length][D];
        for (int r = 0; r < 24; r++) {
            float[][] from = r < 12 ? held.harmful() : held.harmless();
            int row = r % 12;
            // Some requests far from the data (large and tiny scales): the refusal score's stable branch.
            float scale = r % 5 == 0 ? 1e4f : r % 7 == 0 ? 1e-3f : 1f;
            for (int l = 0; l < LAYERS.length; l++)
                for (int j = 0; j < D; j++) requests[r][l][j] = from[l][row * D + j] * scale + (float) (rnd.nextGaussian() * 1e-3);
        }
    }

    private static DirectionFitter.Options options(int exactMaxDim) {
        DirectionFitter.Options o = DirectionFitter.Options.defaults("batch");
        return new DirectionFitter.Options(o.modelId(), "rev", 1, 0.25, 11, o.probe(), 30, exactMaxDim, true,
                o.castStep(), LAYERS, o.minPerClass(), msg -> { }, 0.05, o.fprConfidence(), 3,
                DirectionFitter.MultiLayer.CONCAT, 2);
    }

    @Test
    void everyRequestOfABatchGetsTheBitsItGetsAlone() {
        for (DirectionSetModel set : new DirectionSetModel[]{lowRank, exact}) {
            DirectionSetScorer scorer = new DirectionSetScorer(set);
            // The Mahalanobis scorer's own one-record path (all rows in one kernel call each) as an outside reference.
            LayerDirections main = set.layer(set.scoringLayer());
            MahalanobisScorer mahalanobis = new MahalanobisScorer(main.meanHarmful(), main.meanHarmless(), main.mahalanobis());
            assertTrue(mahalanobis.exactRowCount() > 4 && mahalanobis.exactRowCount() < main.mahalanobis().k(),
                    "the fixture must keep rows in both storages");
            int scoringIndex = java.util.Arrays.binarySearch(LAYERS, set.scoringLayer());
            assertTrue(set.multiLayerProbe() != null && set.refusalPlane() != null && set.ensembleLayers().length == 4,
                    "the fixture must exercise every scorer");
            for (DirectionSetScorer.MahalanobisMode mode : new DirectionSetScorer.MahalanobisMode[]{
                    DirectionSetScorer.MahalanobisMode.AUTO, DirectionSetScorer.MahalanobisMode.LOW_RANK}) {
                DirectionSetScorer.Scratch batch = scorer.newBatchScratch(7);
                DirectionSetScorer.Scratch one = scorer.newScratch();
                for (int n : new int[]{1, 4, 7}) {
                    for (int start = 0; start + n <= requests.length; start += n) {
                        int[][] indices = new int[n][];
                        float[][][] values = new float[n][][];
                        Scores[] out = new Scores[n];
                        for (int b = 0; b < n; b++) {
                            indices[b] = LAYERS;
                            values[b] = requests[start + b];
                            out[b] = new Scores();
                        }
                        scorer.scoreBatch(n, indices, values, mode, batch, out);
                        for (int b = 0; b < n; b++) {
                            Scores alone = scorer.score(LAYERS, requests[start + b], mode, one, new Scores());
                            String what = set.version() + " " + mode + " n=" + n + " request " + (start + b);
                            assertSameBits(alone, out[b], what);
                            MahalanobisScorer.Result m = mahalanobis.score(requests[start + b][scoringIndex], 0,
                                    out[b].mahalanobisExact, mahalanobis.newScratch(), new MahalanobisScorer.Result());
                            bits(m.refusal(), out[b].mahalanobisRefusal, what + " refusal against MahalanobisScorer.score");
                            bits(m.ood(), out[b].mahalanobisOod, what + " OOD against MahalanobisScorer.score");
                        }
                    }
                }
            }
        }
    }

    @Test
    void aBatchWithAnUnscorableRequestThrowsAsThatRequestWouldAlone() {
        DirectionSetScorer scorer = new DirectionSetScorer(lowRank);
        DirectionSetScorer.Scratch batch = scorer.newBatchScratch(4);
        int[][] indices = {LAYERS, {3, 6}, LAYERS};
        float[][][] values = {requests[0], {requests[1][0], requests[1][1]}, requests[2]};
        Scores[] out = {new Scores(), new Scores(), new Scores()};
        ScoringInputException e = assertThrows(ScoringInputException.class, () -> scorer.scoreBatch(3, indices, values,
                DirectionSetScorer.MahalanobisMode.AUTO, batch, out));
        assertEquals(ScoringInputException.Kind.MISSING_LAYER, e.kind());
        assertThrows(IllegalArgumentException.class, () -> scorer.scoreBatch(5, new int[5][], new float[5][][],
                DirectionSetScorer.MahalanobisMode.AUTO, batch, new Scores[5]), "more requests than the scratch holds");
    }

    private static void assertSameBits(Scores a, Scores b, String what) {
        assertEquals(a.layer, b.layer, what);
        assertEquals(a.directionsVersion, b.directionsVersion, what);
        bits(a.dim, b.dim, what + " dim");
        bits(a.dimStandardized, b.dimStandardized, what + " dimStandardized");
        bits(a.fisher, b.fisher, what + " fisher");
        bits(a.probeProbability, b.probeProbability, what + " probeProbability");
        bits(a.layerProbeProbability, b.layerProbeProbability, what + " layerProbeProbability");
        assertEquals(a.flagged, b.flagged, what + " flagged");
        bits(a.mahalanobisRefusal, b.mahalanobisRefusal, what + " mahalanobisRefusal");
        bits(a.mahalanobisOod, b.mahalanobisOod, what + " mahalanobisOod");
        bits(a.oodTailProbability, b.oodTailProbability, what + " oodTailProbability");
        assertEquals(a.mahalanobisExact, b.mahalanobisExact, what + " path");
        bits(a.castSimilarity, b.castSimilarity, what + " castSimilarity");
        assertEquals(a.castFired, b.castFired, what + " castFired");
        bits(a.angleDeg, b.angleDeg, what + " angleDeg");
        assertEquals(a.sector, b.sector, what + " sector");
        bits(a.mahalanobisEnsemble, b.mahalanobisEnsemble, what + " mahalanobisEnsemble");
    }

    private static void bits(double expected, double actual, String what) {
        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual),
                what + ": " + expected + " alone, " + actual + " in the batch");
    }
}
