package dev.refusalmonitor.contract.directions;

/**
 * The pooled within-class covariance after Ledoit-Wolf shrinkage (DESIGN score 4), in the two forms
 * the scorer can use.
 *
 * <p>Low-rank path: Σ ≈ V diag(λ) Vᵀ + σ²_rem (I − V Vᵀ), with V = {@code eigenvectors} ([k, d], rows
 * orthonormal, row-major) and σ²_rem = {@code remainderVariance} (mean of the eigenvalues not kept).
 *
 * <p>Exact path: {@code exactWhitening} holds W, lower-triangular, with Σ⁻¹ = Wᵀ W (W = L⁻¹ where Σ = L Lᵀ),
 * as the packed lower triangle row by row: element (i, j), j ≤ i, at i(i+1)/2 + j. Null when not stored.
 *
 * @param shrinkage Ledoit-Wolf coefficient δ (Σ = (1−δ) S + δ (tr S / d) I)
 * @param traceOverD tr(S)/d of the empirical covariance S
 * @param eigenvalueFloor smallest eigenvalue of the shrunk covariance
 * @param conditionNumber largest / smallest eigenvalue of the shrunk covariance
 * @param k number of eigenvectors kept for the low-rank path
 * @param l2Normalize L2-normalise x (and the class means) before the distance (Mahalanobis++)
 * @param oodCalibration held-out min-class distances, ascending, for the OOD tail probability
 */
public record MahalanobisParams(double shrinkage, double traceOverD, double eigenvalueFloor, double conditionNumber,
                                int k, float[] eigenvectors, double[] eigenvalues, double remainderVariance,
                                float[] exactWhitening, boolean l2Normalize, float[] oodCalibration) {

    public boolean hasExact() {
        return exactWhitening != null && exactWhitening.length > 0;
    }
}
