package dev.refusalmonitor.math.score;

import dev.refusalmonitor.contract.directions.LogisticProbeParams;
import dev.refusalmonitor.math.testing.Tolerances;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProbeScorerTest {

    @Test
    void foldedScoreEqualsTheStandardisedFormula() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int d : new int[]{1, 5, 300}) {
            float[] mean = new float[d], std = new float[d], coef = new float[d], x = new float[d];
            for (int j = 0; j < d; j++) {
                mean[j] = (float) (3 * rnd.nextGaussian());
                std[j] = (float) (0.1 + rnd.nextDouble() * 5);
                coef[j] = (float) rnd.nextGaussian();
                x[j] = (float) (mean[j] + std[j] * rnd.nextGaussian());
            }
            LogisticProbeParams params = new LogisticProbeParams(mean, std, coef, -0.3, 1.0, 0.5);
            double z = -0.3;
            for (int j = 0; j < d; j++) z += coef[j] * (((double) x[j] - mean[j]) / std[j]);
            double expected = 1 / (1 + Math.exp(-z));
            ProbeScorer scorer = new ProbeScorer(params);
            assertEquals(z, scorer.logit(x, 0), 1e-9 * Math.max(1, Math.abs(z)), "d=" + d);
            assertEquals(expected, scorer.probability(x), 1e-12, "d=" + d);
        }
    }

    @Test
    void sigmoidIsStableAtExtremes() {
        assertEquals(1.0, ProbeScorer.sigmoid(800), 0.0);
        assertEquals(0.0, ProbeScorer.sigmoid(-800), 0.0);
        assertTrue(ProbeScorer.sigmoid(-700) > 0);
        assertEquals(0.5, ProbeScorer.sigmoid(0), Tolerances.F64_REL);
    }

    @Test
    void flagsAtOrAboveTheThresholdAndRejectsBadInput() {
        ProbeScorer scorer = new ProbeScorer(new LogisticProbeParams(new float[]{0}, new float[]{1},
                new float[]{1}, 0, 1, 0.5));
        assertTrue(scorer.flagged(0.5));
        assertFalse(scorer.flagged(0.4999));
        assertThrows(IllegalArgumentException.class, () -> scorer.probability(new float[]{1, 2}));
        assertThrows(IllegalArgumentException.class, () -> new ProbeScorer(new LogisticProbeParams(
                new float[]{0}, new float[]{0}, new float[]{1}, 0, 1, 0.5)));
        assertThrows(IllegalArgumentException.class, () -> new ProbeScorer(new LogisticProbeParams(
                new float[]{0, 0}, new float[]{1}, new float[]{1}, 0, 1, 0.5)));
    }
}
