package dev.refusalmonitor.math.fit;

import dev.refusalmonitor.math.VectorOps;
import dev.refusalmonitor.contract.directions.MahalanobisParams;

/**
 * Fits the Mahalanobis score's parameters (DESIGN score 4, seeds §8.4–8.5): the shrunk pooled covariance in its
 * low-rank form (top-k eigenpairs + isotropic remainder) and, when asked, its exact whitening factor.
 */
public final class MahalanobisFit {
    private MahalanobisFit() {
    }

    /**
     * Default number of eigenvectors kept for the low-rank path (used when d > {@link #DEFAULT_EXACT_MAX_D}). 32, not
     * 64: on planted d = 4096 data the refusal AUROC of d_S − d_H is 0.809 at k = 32 against 0.816 at 64 (OOD AUROC
     * unchanged), on MiniLM activations the OOD AUROC is as good or better, and the scorer reads half the rows per record
     * (the monitor's largest per-record cost); BENCHMARKS.md "Mahalanobis eigenvector storage" → "Rank and storage".
     */
    public static final int DEFAULT_LOW_RANK_K = 32;
    /** By default the exact factor (d(d+1)/2 floats) is stored only up to this d. */
    public static final int DEFAULT_EXACT_MAX_D = 1024;

    /**
     * @param lowRankK eigenvectors to keep (clipped to d)
     * @param includeExact also store the exact whitening factor W
     * @param l2Normalize Mahalanobis++: L2-normalise rows (and, when scoring, x) first
     * @param oodCalibration held-out min-class distances, ascending and finite; empty for none (not copied)
     */
    public record Options(int lowRankK, boolean includeExact, boolean l2Normalize, float[] oodCalibration) {
        public Options {
            if (lowRankK < 1) throw new IllegalArgumentException("lowRankK must be >= 1, got " + lowRankK);
            if (oodCalibration == null) oodCalibration = new float[0];
            for (int i = 0; i < oodCalibration.length; i++) {
                if (!Float.isFinite(oodCalibration[i]) || oodCalibration[i] < 0)
                    throw new IllegalArgumentException("oodCalibration[" + i + "] = " + oodCalibration[i] + " is not a finite distance");
                if (i > 0 && oodCalibration[i] < oodCalibration[i - 1])
                    throw new IllegalArgumentException("oodCalibration must be sorted ascending (index " + i + ")");
            }
        }

        /** k = {@link #DEFAULT_LOW_RANK_K}, exact when d ≤ 1024, no normalisation, no calibration. */
        public static Options defaults(int d) {
            return new Options(DEFAULT_LOW_RANK_K, d <= DEFAULT_EXACT_MAX_D, false, new float[0]);
        }

        public Options withLowRankK(int k) {
            return new Options(k, includeExact, l2Normalize, oodCalibration);
        }

        public Options withExact(boolean exact) {
            return new Options(lowRankK, exact, l2Normalize, oodCalibration);
        }

        public Options withL2Normalize(boolean l2) {
            return new Options(lowRankK, includeExact, l2, oodCalibration);
        }

        public Options withOodCalibration(float[] ascending) {
            return new Options(lowRankK, includeExact, l2Normalize, ascending);
        }
    }

    /**
     * The fitted parameters with the class means they belong to (in the L2-normalised space when
     * {@code params.l2Normalize()}: pass exactly these to the scorer).
     */
    public record Result(MahalanobisParams params, float[] meanHarmful, float[] meanHarmless,
                         PooledCovariance.LowRank lowRank) {
    }

    /** Fits the pooled covariance (normalised per {@code options.l2Normalize()}) and then the parameters. */
    public static Result fit(ClassData data, Options options) {
        return fit(PooledCovariance.fit(data, options.l2Normalize()), options);
    }

    /**
     * Parameters from a fitted covariance. Not modified.
     *
     * @throws IllegalArgumentException when {@code options.l2Normalize()} differs from the covariance's
     */
    public static Result fit(PooledCovariance cov, Options options) {
        if (cov.l2Normalize() != options.l2Normalize())
            throw new IllegalArgumentException("options.l2Normalize = " + options.l2Normalize()
                    + " but the covariance was fitted with l2Normalize = " + cov.l2Normalize());
        int k = Math.min(options.lowRankK(), cov.d());
        PooledCovariance.LowRank low = cov.topEigenpairs(k);
        float[] exact = options.includeExact() ? cov.exactWhitening() : null;
        MahalanobisParams params = new MahalanobisParams(cov.shrinkage(), cov.traceOverD(), cov.eigenvalueFloor(),
                cov.conditionNumber(), k, VectorOps.toFloat(low.eigenvectors()), low.eigenvalues().clone(),
                low.remainderVariance(), exact, cov.l2Normalize(), options.oodCalibration());
        return new Result(params, VectorOps.toFloat(cov.meanHarmful()), VectorOps.toFloat(cov.meanHarmless()), low);
    }

    /**
     * σ²_rem = (tr Σ − Σᵢ₌₁ᵏ λᵢ)/(d − k), the mean of the eigenvalues not kept, floored at {@code floor} against
     * rounding; the floor itself when k = d (it does not enter the distance then).
     */
    static double remainderVariance(double trace, double keptSum, int d, int k, double floor) {
        return k < d ? Math.max((trace - keptSum) / (d - k), floor) : floor;
    }

    /**
     * The low-rank path of {@code params} cut to its first {@code k} eigenpairs: what a fit with
     * {@code lowRankK = k} on the same covariance returns (the top k eigenpairs of the same Σ, the remainder variance
     * from its trace d · traceOverD), so rank can be studied without refitting. The exact factor is kept; the OOD
     * calibration is dropped (its distances belong to the fitted k).
     *
     * @throws IllegalArgumentException when k is not in [1, params.k()]
     */
    public static MahalanobisParams truncate(MahalanobisParams params, int d, int k) {
        if (k < 1 || k > params.k()) throw new IllegalArgumentException("k must be in [1, " + params.k() + "], got " + k);
        double kept = 0;
        for (int i = 0; i < k; i++) kept += params.eigenvalues()[i];
        double remainder = remainderVariance(params.traceOverD() * d, kept, d, k, params.eigenvalueFloor());
        return new MahalanobisParams(params.shrinkage(), params.traceOverD(), params.eigenvalueFloor(),
                params.conditionNumber(), k, java.util.Arrays.copyOf(params.eigenvectors(), k * d),
                java.util.Arrays.copyOf(params.eigenvalues(), k), remainder, params.exactWhitening(),
                params.l2Normalize(), new float[0]);
    }
}
