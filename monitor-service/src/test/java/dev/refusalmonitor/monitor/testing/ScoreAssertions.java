package dev.refusalmonitor.monitor.testing;

import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.schemas.v1.MahalanobisPath;
import dev.refusalmonitor.schemas.v1.SafetyScore;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Field-by-field comparison of a stream {@link SafetyScore} with an offline {@link Scores}; doubles bit for bit. */
public final class ScoreAssertions {
    private ScoreAssertions() {
    }

    public static void assertSameScores(Scores expected, SafetyScore actual, String what) {
        assertEquals(expected.directionsVersion, actual.getDirectionsVersion(), what + ": directions_version");
        assertEquals(expected.layer, actual.getLayer(), what + ": layer");
        bits(expected.dim, actual.getDim(), what + ": dim");
        bits(expected.dimStandardized, actual.getDimStandardized(), what + ": dim_standardized");
        bits(expected.fisher, actual.getFisher(), what + ": fisher");
        bits(expected.probeProbability, actual.getProbeProbability(), what + ": probe_probability");
        assertEquals(expected.flagged, actual.getFlagged(), what + ": flagged");
        bits(expected.mahalanobisRefusal, actual.getMahalanobisRefusal(), what + ": mahalanobis_refusal");
        bits(expected.mahalanobisOod, actual.getMahalanobisOod(), what + ": mahalanobis_ood");
        bits(expected.oodTailProbability, actual.getOodTailProbability(), what + ": ood_tail_probability");
        assertEquals(expected.mahalanobisExact ? MahalanobisPath.MAHALANOBIS_PATH_EXACT : MahalanobisPath.MAHALANOBIS_PATH_LOW_RANK,
                actual.getMahalanobisPath(), what + ": mahalanobis_path");
        bits(expected.castSimilarity, actual.getCastSimilarity(), what + ": cast_similarity");
        assertEquals(expected.castFired, actual.getCastFired(), what + ": cast_fired");
        bits(expected.angleDeg, actual.getAngleDeg(), what + ": angle_deg");
        assertEquals(expected.sector == null ? "" : expected.sector, actual.getSector(), what + ": sector");
        assertEquals(expected.hasEnsemble(), actual.hasMahalanobisEnsemble(), what + ": mahalanobis_ensemble presence");
        if (expected.hasEnsemble()) bits(expected.mahalanobisEnsemble, actual.getMahalanobisEnsemble(), what + ": mahalanobis_ensemble");
    }

    /** Equal as IEEE bit patterns (NaN equals NaN, 0.0 differs from -0.0). */
    public static void bits(double expected, double actual, String what) {
        assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual),
                () -> what + ": expected " + expected + " but was " + actual);
    }
}
