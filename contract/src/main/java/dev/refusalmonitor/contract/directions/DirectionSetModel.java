package dev.refusalmonitor.contract.directions;

import java.util.List;

/**
 * A complete, versioned direction set for one model: what the trainer publishes and the monitor scores with.
 * Plain data, no wire format; {@code schemas} maps it to and from Protobuf.
 *
 * @param version monotonic per model
 * @param scoringLayer the layer whose per-layer scores are reported (first in the k-fold CV ranking: TPR at the
 *                     target FPR, then log-loss; ties: earlier)
 * @param castLayer the layer whose CAST condition decides cast_fired
 * @param ensembleLayers layers in the Mahalanobis ensemble; empty for none
 * @param reportJson the training report as JSON ("" when none)
 * @param multiLayerProbe the headline probe over several layers, or null when the scoring layer's probe is the
 *                        headline (CV did not favour a multi-layer probe, or an older set)
 * @param targetFpr the false-positive rate the set's decisions (flagged, cast_fired) were calibrated to on held-out
 *                  harmless rows; 0 for a set fitted before operating points existed (its probe threshold was 0.5)
 */
public record DirectionSetModel(String modelId, String modelRevision, long version, long createdAtUnixMs,
                                int d, int scoringLayer, int castLayer, List<LayerDirections> layers,
                                RefusalPlaneParams refusalPlane, int[] ensembleLayers,
                                long harmfulCount, long harmlessCount, String reportJson,
                                MultiLayerProbe multiLayerProbe, double targetFpr) {

    /** A set without a multi-layer probe or a recorded target FPR. */
    public DirectionSetModel(String modelId, String modelRevision, long version, long createdAtUnixMs,
                             int d, int scoringLayer, int castLayer, List<LayerDirections> layers,
                             RefusalPlaneParams refusalPlane, int[] ensembleLayers,
                             long harmfulCount, long harmlessCount, String reportJson) {
        this(modelId, modelRevision, version, createdAtUnixMs, d, scoringLayer, castLayer, layers, refusalPlane,
                ensembleLayers, harmfulCount, harmlessCount, reportJson, null, 0);
    }

    /** The directions for {@code layer}, or null when the set has none for it. */
    public LayerDirections layer(int layer) {
        for (LayerDirections l : layers) if (l.layer() == layer) return l;
        return null;
    }

    public DirectionSetModel withVersion(long newVersion, long newCreatedAtUnixMs) {
        return new DirectionSetModel(modelId, modelRevision, newVersion, newCreatedAtUnixMs, d, scoringLayer,
                castLayer, layers, refusalPlane, ensembleLayers, harmfulCount, harmlessCount, reportJson,
                multiLayerProbe, targetFpr);
    }

    /** The same set with another report JSON. */
    public DirectionSetModel withReportJson(String newReportJson) {
        return new DirectionSetModel(modelId, modelRevision, version, createdAtUnixMs, d, scoringLayer,
                castLayer, layers, refusalPlane, ensembleLayers, harmfulCount, harmlessCount, newReportJson,
                multiLayerProbe, targetFpr);
    }
}
