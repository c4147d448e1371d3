package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.linalg.DenseOps;

/**
 * Ledoit–Wolf shrinkage exactly as scikit-learn's {@code LedoitWolf(assume_centered=True)} computes it
 * ({@code sklearn.covariance.ledoit_wolf_shrinkage}): for centred X [n, d] with S = XᵀX / n,
 * <pre>
 *   μ = tr(S) / d
 *   δ' = ‖S‖²_F                               (sklearn's delta_ after dividing by n²)
 *   β' = Σ_k ‖x_k‖⁴                           (sum of the entries of (X∘X)ᵀ(X∘X))
 *   β  = (β'/n − δ') / (d n)
 *   δ  = (δ' − 2 μ tr(S) + d μ²) / d          (= ‖S − μ I‖²_F / d)
 *   shrinkage = min(β, δ) / δ                  (0 when β = 0, and 0 when d = 1)
 *   Σ = (1 − shrinkage) S + shrinkage · μ I
 * </pre>
 */
public final class LedoitWolf {
    private LedoitWolf() {
    }

    /**
     * @param shrinkage the coefficient in [0, 1]
     * @param mu tr(S)/d of the empirical covariance S
     * @param covariance the shrunk covariance Σ, [d, d] row-major
     */
    public record Result(int d, double shrinkage, double mu, double[] covariance) {
    }

    /**
     * Fits on data that is already centred (each class on its own mean for the pooled within-class covariance).
     *
     * @param centred X [n, d] row-major. Not modified.
     */
    public static Result fit(double[] centred, int n, int d) {
        if (n < 1) throw new IllegalArgumentException("no rows");
        if (centred.length != (long) n * d) throw new IllegalArgumentException("data has " + centred.length + " values, expected " + n + " x " + d);
        double[] s = DenseOps.transposeTimesSelf(centred, n, d, null);
        for (int i = 0; i < s.length; i++) s[i] /= n;
        double trace = DenseOps.trace(s, d);
        double mu = trace / d;
        double shrinkage = 0.0;
        if (d > 1) {
            double deltaRaw = 0; // ‖S‖²_F
            for (double v : s) deltaRaw += v * v;
            double betaRaw = 0;  // Σ_k ‖x_k‖⁴
            for (int k = 0; k < n; k++) {
                double sq = 0;
                int off = k * d;
                for (int j = 0; j < d; j++) sq += centred[off + j] * centred[off + j];
                betaRaw += sq * sq;
            }
            double beta = (betaRaw / n - deltaRaw) / ((double) d * n);
            double delta = (deltaRaw - 2.0 * mu * trace + d * mu * mu) / d;
            beta = Math.min(beta, delta);
            shrinkage = beta == 0 ? 0.0 : beta / delta;
        }
        for (int i = 0; i < s.length; i++) s[i] *= 1.0 - shrinkage;
        for (int i = 0; i < d; i++) s[i * d + i] += shrinkage * mu;
        return new Result(d, shrinkage, mu, s);
    }
}
