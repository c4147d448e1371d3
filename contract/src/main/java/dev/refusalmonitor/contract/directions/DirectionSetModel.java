package dev.refusalmonitor.contract.directions;

import java.util.List;

/**
 * A complete, versioned direction set for one model: what the trainer publishes and the monitor scores with.
 * Plain data, no wire format; {@code schemas} maps it to and from Protobuf.
 *
 * @param version monotonic per model
 * @param scoringLayer the layer whose per-layer scores are reported (best held-out AUC, ties: earlier)
 * @param castLayer the layer whose CAST condition decides cast_fired
 * @param ensembleLayers layers in the Mahalanobis ensemble; empty for none
 * @param reportJson the training report as JSON ("" when none)
 */
public record DirectionSetModel(String modelId, String modelRevision, long version, long createdAtUnixMs,
                                int dim, int scoringLayer, int castLayer, List<LayerDirections> layers,
                                RefusalPlaneParams refusalPlane, int[] ensembleLayers,
                                long harmfulCount, long harmlessCount, String reportJson) {

    /** The directions for {@code layer}, or null when the set has none for it. */
    public LayerDirections layer(int layer) {
        for (LayerDirections l : layers) if (l.layer() == layer) return l;
        return null;
    }

    public DirectionSetModel withVersion(long newVersion, long newCreatedAtUnixMs) {
        return new DirectionSetModel(modelId, modelRevision, newVersion, newCreatedAtUnixMs, dim, scoringLayer,
                castLayer, layers, refusalPlane, ensembleLayers, harmfulCount, harmlessCount, reportJson);
    }
}
