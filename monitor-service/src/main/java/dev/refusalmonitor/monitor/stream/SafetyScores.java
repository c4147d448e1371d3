package dev.refusalmonitor.monitor.stream;

import dev.refusalmonitor.math.score.Scores;
import dev.refusalmonitor.schemas.DecodedHiddenState;
import dev.refusalmonitor.schemas.v1.MahalanobisPath;
import dev.refusalmonitor.schemas.v1.SafetyScore;

/** Builds the score record. It carries identity and scores only: never hidden-state values. */
final class SafetyScores {
    private SafetyScores() {
    }

    static final int SCHEMA_VERSION = 1;

    static SafetyScore of(DecodedHiddenState s, Scores scores, long scoredAtUnixMs) {
        SafetyScore.Builder b = SafetyScore.newBuilder()
                .setSchemaVersion(SCHEMA_VERSION)
                .setRequestId(s.requestId())
                .setModelId(s.modelId())
                .setModelRevision(s.modelRevision())
                .setTenant(s.tenant())
                .setRoute(s.route())
                .setEventTimeUnixMs(s.eventTimeUnixMs())
                .setScoredAtUnixMs(scoredAtUnixMs)
                .setDirectionsVersion(scores.directionsVersion)
                .setLayer(scores.layer)
                .setDim(scores.dim)
                .setDimStandardized(scores.dimStandardized)
                .setFisher(scores.fisher)
                .setProbeProbability(scores.probeProbability)
                .setMahalanobisRefusal(scores.mahalanobisRefusal)
                .setMahalanobisOod(scores.mahalanobisOod)
                .setOodTailProbability(scores.oodTailProbability)
                .setMahalanobisPath(scores.mahalanobisExact ? MahalanobisPath.MAHALANOBIS_PATH_EXACT
                        : MahalanobisPath.MAHALANOBIS_PATH_LOW_RANK)
                .setCastSimilarity(scores.castSimilarity)
                .setCastFired(scores.castFired)
                .setAngleDeg(scores.angleDeg)
                .setSector(scores.sector == null ? "" : scores.sector)
                .setFlagged(scores.flagged);
        if (scores.hasEnsemble()) b.setMahalanobisEnsemble(scores.mahalanobisEnsemble);
        return b.build();
    }
}
