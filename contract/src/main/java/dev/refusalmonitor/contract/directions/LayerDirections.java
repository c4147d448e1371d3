package dev.refusalmonitor.contract.directions;

/**
 * Everything fitted for one layer (layer = Hugging Face hidden_states index, 0 = embeddings).
 * All vectors have length d; directions point so that harmful scores higher. {@code meanHarmful}/{@code meanHarmless}
 * are the class means in the space the Mahalanobis distance is measured in: of the L2-normalised rows when
 * {@code mahalanobis.l2Normalize()} (Mahalanobis++), of the raw rows otherwise.
 *
 * @param dimDirection r̂ = (μ_H − μ_S)/‖μ_H − μ_S‖ (DESIGN score 1)
 * @param dimProjection training projections x·r̂, for the standardised DIM score
 * @param fisherDirection ŵ = Σ⁻¹(μ_H − μ_S), normalised (DESIGN score 2)
 * @param pcaReadingVector first principal component of the class-paired differences, harmful higher; null in sets
 *                         fitted since issue 14 (nothing scores it; its held-out AUC stays in the report)
 * @param mahalanobisRefusalProjection training d_S − d_H, to standardise it for the ensemble
 */
public record LayerDirections(int layer,
                              float[] meanHarmful, float[] meanHarmless,
                              float[] dimDirection, Standardisation dimProjection,
                              float[] fisherDirection, Standardisation fisherProjection,
                              LogisticProbeParams probe,
                              MahalanobisParams mahalanobis,
                              CastParams cast,
                              float[] pcaReadingVector,
                              Standardisation mahalanobisRefusalProjection) {

    public int d() {
        return meanHarmful.length;
    }
}
